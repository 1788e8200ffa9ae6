package io.llmmetering.core.keys;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.lang.reflect.Proxy;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class IngestKeyAuthenticatorTest {

    /** Every unknown mk_ prefix was a database lookup: a flood of made-up keys took the pool the ledger uses. */
    @Test
    @Tag("security")
    void aFloodOfMadeUpPrefixesCostsABoundedNumberOfLookupsASecond() {
        AtomicInteger lookups = new AtomicInteger();
        DataSource database = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[]{DataSource.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("getConnection")) {
                        lookups.incrementAndGet();
                        throw new SQLException("no database in this test");
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        IngestKeyAuthenticator keys = new IngestKeyAuthenticator(database);
        int refusedWithoutALookup = 0;
        long started = System.nanoTime();
        for (int i = 0; i < 500; i++) {
            String madeUp = "mk_" + String.format("%012d", i) + "_" + "s".repeat(32);
            try {
                if (keys.authenticate(madeUp).isEmpty()) {
                    refusedWithoutALookup++;
                }
            } catch (SQLException e) {
                // looked up: the fake database refuses
            }
        }
        long seconds = (System.nanoTime() - started) / 1_000_000_000L + 1;
        assertThat(lookups.get()).isLessThanOrEqualTo((int) (IngestKeyAuthenticator.UNKNOWN_LOOKUPS_PER_SECOND * (seconds + 1)));
        assertThat(refusedWithoutALookup).isEqualTo(500 - lookups.get());
    }
}

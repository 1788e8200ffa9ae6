package io.llmmetering.creditapi.applier;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.util.List;
import java.util.function.Consumer;

/**
 * Applies a batch so that one debit PostgreSQL refuses for its content cannot stop a partition. A batch refused
 * for its data (SQLSTATE class 22, data exception, or 23, integrity constraint: the duplicate the ledger expects
 * is handled inside {@link BatchApplier}) or whose sums overflow is split in halves, each applied on its own,
 * until the refused debit stands alone: it goes to {@code credit.debits.dlq} with the database's error, and the
 * rest is charged. An outage (connection, shedding, serialization failure) is not the content's fault and is
 * thrown for the caller to retry.
 *
 * <p>The halves are separate transactions and only the last carries the batch's offsets. A crash between them
 * re-reads the batch, and the events already recorded are not charged again: the ledger's unique keys are what
 * make any replay safe. A refused batch costs extra transactions; a healthy one costs nothing more.
 */
final class RefusedDebitIsolation {

    static final String REFUSED_BY_DATABASE = "refused_by_database";

    private static final Logger log = LoggerFactory.getLogger(RefusedDebitIsolation.class);

    private final BatchApplier ledger;
    private final DebitDeadLetters deadLetters;

    RefusedDebitIsolation(BatchApplier ledger, DebitDeadLetters deadLetters) {
        this.ledger = ledger;
        this.deadLetters = deadLetters;
    }

    /**
     * @param sources   the record each debit was decoded from, in the order of {@code debits}
     * @param committed told of each transaction that committed, in order
     */
    void apply(List<LedgerDebit> debits, List<ConsumerRecord<String, byte[]>> sources, List<PartitionOffset> offsets,
               List<Long> confirmedCacheWrites, Consumer<AppliedBatch> committed) throws SQLException {
        try {
            committed.accept(ledger.apply(debits, offsets, confirmedCacheWrites));
        } catch (SQLException | ArithmeticException e) {
            if (!refusedForContent(e) || debits.isEmpty()) {
                throw e;
            }
            if (debits.size() == 1) {
                deadLetters.send(sources.get(0), REFUSED_BY_DATABASE, describe(e));
                committed.accept(ledger.apply(List.of(), offsets, confirmedCacheWrites));
                return;
            }
            log.warn("debit batch refused for its content, splitting debits={} error={}", debits.size(), describe(e));
            int half = debits.size() / 2;
            apply(debits.subList(0, half), sources.subList(0, half), List.of(), confirmedCacheWrites, committed);
            apply(debits.subList(half, debits.size()), sources.subList(half, sources.size()), offsets, confirmedCacheWrites, committed);
        }
    }

    /** Data exceptions (22), integrity violations (23) and long overflows: retrying the same debits cannot help. */
    static boolean refusedForContent(Exception e) {
        if (e instanceof ArithmeticException) {
            return true;
        }
        String state = e instanceof SQLException sql ? sql.getSQLState() : null;
        return state != null && (state.startsWith("22") || state.startsWith("23"));
    }

    private static String describe(Exception e) {
        String message = String.valueOf(e.getMessage());
        String bounded = message.length() > 300 ? message.substring(0, 300) : message;
        return e instanceof SQLException sql ? "SQLSTATE " + sql.getSQLState() + ": " + bounded : e.getClass().getSimpleName() + ": " + bounded;
    }
}

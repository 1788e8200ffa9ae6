package io.llmmetering.creditapi.auth;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Tag("security")
class CachingJwtDecoderTest {

    private static final Instant T0 = Instant.parse("2026-11-25T12:00:00Z");

    private final AtomicInteger verifications = new AtomicInteger();
    private final AtomicReference<Instant> now = new AtomicReference<>(T0);
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    };
    private final JwtDecoder verifying = token -> {
        verifications.incrementAndGet();
        if (token.startsWith("bad")) {
            throw new BadJwtException("signature");
        }
        if (!now.get().isBefore(T0.plus(Duration.ofMinutes(5)))) {
            throw new BadJwtException("expired"); // as the real decoder's expiry validator does
        }
        return Jwt.withTokenValue(token).header("alg", "HS256").subject("u").issuedAt(T0).expiresAt(T0.plus(Duration.ofMinutes(5))).build();
    };
    private final CachingJwtDecoder decoder = new CachingJwtDecoder(verifying, clock);

    @Test
    void theSameTokenIsVerifiedOnceWhileItIsValid() {
        decoder.decode("token-a");
        decoder.decode("token-a");
        decoder.decode("token-a");
        assertThat(verifications).hasValue(1);
        decoder.decode("token-b");
        assertThat(verifications).hasValue(2);
    }

    @Test
    void aRememberedTokenIsRefusedOnceItExpiresAndABadOneIsNeverRemembered() {
        decoder.decode("token-a");
        now.set(T0.plus(Duration.ofMinutes(5)));
        // remembered, but expired: the delegate is asked again and refuses, and the refusal is what the caller gets
        assertThatThrownBy(() -> decoder.decode("token-a")).isInstanceOf(BadJwtException.class).hasMessageContaining("expired");
        assertThatThrownBy(() -> decoder.decode("token-a")).isInstanceOf(BadJwtException.class);
        assertThat(verifications).hasValue(3);
        now.set(T0);
        assertThatThrownBy(() -> decoder.decode("bad-token")).isInstanceOf(BadJwtException.class);
        assertThatThrownBy(() -> decoder.decode("bad-token")).isInstanceOf(BadJwtException.class);
        assertThat(verifications).hasValue(5);
    }

    @Test
    void aFloodOfDistinctTokensIsBounded() {
        int largest = 0;
        for (int i = 0; i < CachingJwtDecoder.MAX_ENTRIES * 2 + 5; i++) {
            decoder.decode("token-" + i);
            largest = Math.max(largest, decoder.size());
        }
        assertThat(largest).isEqualTo(CachingJwtDecoder.MAX_ENTRIES);
        decoder.decode("token-" + (CachingJwtDecoder.MAX_ENTRIES * 2 + 4));
        assertThat(verifications).hasValue(CachingJwtDecoder.MAX_ENTRIES * 2 + 5);
    }
}

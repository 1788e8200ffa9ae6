package io.llmmetering.creditapi.auth;

import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers tokens that passed validation, keyed by the whole token text (signature included), so a client
 * that sends the same token on every request is verified once, not thousands of times a second. A remembered
 * token is still refused from the moment it expires. Bounded: when full it starts over, so a flood of distinct
 * tokens costs memory only up to the bound.
 */
final class CachingJwtDecoder implements JwtDecoder {

    static final int MAX_ENTRIES = 10_000;

    private final JwtDecoder delegate;
    private final Clock clock;
    private final ConcurrentHashMap<String, Jwt> verified = new ConcurrentHashMap<>();

    CachingJwtDecoder(JwtDecoder delegate, Clock clock) {
        this.delegate = delegate;
        this.clock = clock;
    }

    @Override
    public Jwt decode(String token) throws JwtException {
        Jwt known = verified.get(token);
        Instant now = clock.instant();
        if (known != null && known.getExpiresAt() != null && now.isBefore(known.getExpiresAt())
                && (known.getNotBefore() == null || !now.isBefore(known.getNotBefore()))) {
            return known;
        }
        if (known != null) {
            verified.remove(token);
        }
        Jwt jwt = delegate.decode(token);
        if (verified.size() >= MAX_ENTRIES) {
            verified.clear();
        }
        verified.put(token, jwt);
        return jwt;
    }

    /** Tokens remembered now. */
    int size() {
        return verified.size();
    }
}

package io.llmmetering.creditapi.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;

/**
 * Signs HS256 tokens with the shared secret credit-api checks them with: for the local system's {@code token}
 * command and for tests. Production deployments usually get tokens from their identity provider instead.
 */
public final class TokenIssuer {

    public static final String ISSUER = "llm-metering";
    public static final String AUDIENCE = "llm-metering-api";

    private final MACSigner signer;
    private final Clock clock;

    public TokenIssuer(String secret) {
        this(secret, Clock.systemUTC());
    }

    public TokenIssuer(String secret, Clock clock) {
        try {
            this.signer = new MACSigner(secret.getBytes(StandardCharsets.UTF_8));
        } catch (JOSEException e) {
            throw new IllegalArgumentException("JWT secret must be at least 32 bytes", e);
        }
        this.clock = clock;
    }

    /** A token for {@code userId} with the given roles (e.g. {@code user}, {@code admin}), valid for {@code ttl}. */
    public String issue(String userId, List<String> roles, Duration ttl) {
        Instant now = clock.instant();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .subject(userId)
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(ttl)))
                .jwtID(UUID.randomUUID().toString())
                .claim(Roles.CLAIM, roles)
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("could not sign token", e);
        }
        return jwt.serialize();
    }

    public String user(String userId, Duration ttl) {
        return issue(userId, List.of(Roles.USER), ttl);
    }

    public String admin(String userId, Duration ttl) {
        return issue(userId, List.of(Roles.USER, Roles.ADMIN), ttl);
    }

    /** A proxy's token: places holds and checks authorization for any user. */
    public String service(String clientId, Duration ttl) {
        return issue(clientId, List.of(Roles.SERVICE), ttl);
    }
}

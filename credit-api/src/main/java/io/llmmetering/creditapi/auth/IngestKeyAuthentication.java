package io.llmmetering.creditapi.auth;

import io.llmmetering.core.keys.IngestKey;
import io.llmmetering.core.keys.IngestKeyAuthenticator;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;

import java.sql.SQLException;
import java.util.List;

/**
 * A proxy's ingest key ({@code Authorization: Bearer mk_...}), the credential it already holds for usage-ingest,
 * accepted where a proxy calls around an LLM call: holds, their void, authorize. The key stands for a fleet, not a
 * person, so it gets {@link Roles#INGEST_KEY_AUTHORITY} alone, which {@link ApiSecurity} admits there and nowhere
 * else. Only the header counts: a key in the session cookie is no key.
 */
final class IngestKeyAuthentication implements AuthenticationManager {

    private static final String PREFIX = "Bearer mk_";
    private static final List<SimpleGrantedAuthority> AUTHORITIES = List.of(new SimpleGrantedAuthority(Roles.INGEST_KEY_AUTHORITY));

    private final IngestKeyAuthenticator keys;

    IngestKeyAuthentication(IngestKeyAuthenticator keys) {
        this.keys = keys;
    }

    static boolean presentedBy(HttpServletRequest request) {
        String authorization = request.getHeader("Authorization");
        return authorization != null && authorization.regionMatches(true, 0, PREFIX, 0, PREFIX.length());
    }

    @Override
    public Authentication authenticate(Authentication authentication) {
        String presented = ((BearerTokenAuthenticationToken) authentication).getToken();
        IngestKey key;
        try {
            key = keys.authenticate(presented).orElseThrow(() -> new InvalidBearerTokenException("the ingest key is not valid or has been revoked"));
        } catch (SQLException e) {
            throw new AuthenticationServiceException("ingest keys cannot be checked right now", e);
        }
        return UsernamePasswordAuthenticationToken.authenticated(principalName(key), null, AUTHORITIES);
    }

    /** What holds record as their creator: the key's id, never its secret. */
    static String principalName(IngestKey key) {
        return "ingest-key:" + key.id();
    }
}

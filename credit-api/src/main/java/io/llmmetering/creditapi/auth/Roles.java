package io.llmmetering.creditapi.auth;

import org.springframework.core.convert.converter.Converter;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;

import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The roles a token can carry in its {@code roles} claim (a list, or one space-separated string): {@code user},
 * {@code admin}, {@code service} (proxies). Unknown role names are ignored rather than trusted.
 */
public final class Roles implements Converter<Jwt, AbstractAuthenticationToken> {

    public static final String CLAIM = "roles";
    public static final String USER = "user";
    public static final String ADMIN = "admin";
    public static final String SERVICE = "service";
    private static final Set<String> KNOWN = Set.of(USER, ADMIN, SERVICE);
    /** A proxy's ingest key: never a claim a token can carry, only what {@link IngestKeyAuthentication} grants. */
    static final String INGEST_KEY_AUTHORITY = "ROLE_INGEST_KEY";
    private static final Set<String> ANY_USER = Set.of("ROLE_SERVICE", "ROLE_ADMIN", INGEST_KEY_AUTHORITY);

    @Override
    public AbstractAuthenticationToken convert(Jwt jwt) {
        return new JwtAuthenticationToken(jwt, authorities(jwt.getClaim(CLAIM)), jwt.getSubject());
    }

    /** Services, admins and proxies' keys act for any user; a user token only for its own account. */
    public static boolean actsForAnyUser(Authentication caller) {
        for (GrantedAuthority authority : caller.getAuthorities()) {
            if (ANY_USER.contains(authority.getAuthority())) {
                return true;
            }
        }
        return false;
    }

    /** Admins and services (not proxies' ingest keys): they may undo what any credential did. */
    public static boolean isAdminOrService(Authentication caller) {
        for (GrantedAuthority authority : caller.getAuthorities()) {
            if (authority.getAuthority().equals("ROLE_ADMIN") || authority.getAuthority().equals("ROLE_SERVICE")) {
                return true;
            }
        }
        return false;
    }

    public static boolean isIngestKey(Authentication caller) {
        for (GrantedAuthority authority : caller.getAuthorities()) {
            if (authority.getAuthority().equals(INGEST_KEY_AUTHORITY)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the caller has an account of its own (a user or admin token), rather than standing for a proxy. */
    public static boolean isPerson(Authentication caller) {
        for (GrantedAuthority authority : caller.getAuthorities()) {
            if (authority.getAuthority().equals("ROLE_USER") || authority.getAuthority().equals("ROLE_ADMIN")) {
                return true;
            }
        }
        return false;
    }

    static Collection<GrantedAuthority> authorities(Object claim) {
        Stream<String> names = Stream.empty();
        if (claim instanceof String text) {
            names = Stream.of(text.split(" "));
        } else if (claim instanceof Collection<?> list) {
            names = list.stream().filter(String.class::isInstance).map(String.class::cast);
        }
        return names.map(name -> name.strip().toLowerCase(Locale.ROOT)).filter(KNOWN::contains).distinct()
                .map(name -> (GrantedAuthority) new SimpleGrantedAuthority("ROLE_" + name.toUpperCase(Locale.ROOT)))
                .toList();
    }
}

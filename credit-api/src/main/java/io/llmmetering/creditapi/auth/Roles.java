package io.llmmetering.creditapi.auth;

import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.core.convert.converter.Converter;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The roles a token carries: by default in its {@code roles} claim (a list, or one space-separated string) named
 * {@code user}, {@code admin}, {@code service} (proxies). Where an identity provider puts them elsewhere the claim
 * and the names are settings ({@link RoleClaims}): Keycloak's {@code realm_access.roles}, an Auth0 namespaced claim
 * (a URL, read whole), Okta's {@code groups}. Names nobody mapped are ignored rather than trusted.
 */
public final class Roles implements Converter<Jwt, AbstractAuthenticationToken> {

    public static final String CLAIM = "roles";
    public static final String USER = "user";
    public static final String ADMIN = "admin";
    public static final String SERVICE = "service";
    /** A proxy's ingest key: never a claim a token can carry, only what {@link IngestKeyAuthentication} grants. */
    static final String INGEST_KEY_AUTHORITY = "ROLE_INGEST_KEY";
    private static final Set<String> ANY_USER = Set.of("ROLE_SERVICE", "ROLE_ADMIN", INGEST_KEY_AUTHORITY);

    /**
     * Where the roles are and what they are called: {@code credit.auth.roles.claim} (a top-level claim, or a path of
     * nested claims separated by dots), and the names granting each of our roles, compared without case.
     */
    public record RoleClaims(@DefaultValue(CLAIM) String claim, @DefaultValue(USER) List<String> user, @DefaultValue(ADMIN) List<String> admin,
                             @DefaultValue(SERVICE) List<String> service) {

        public static final RoleClaims DEFAULT = new RoleClaims(CLAIM, List.of(USER), List.of(ADMIN), List.of(SERVICE));

        public RoleClaims {
            if (claim == null || claim.isBlank()) {
                throw new IllegalArgumentException("credit.auth.roles.claim must name the claim that carries roles");
            }
            user = lower(user);
            admin = lower(admin);
            service = lower(service);
        }

        private static List<String> lower(List<String> names) {
            return names == null ? List.of() : names.stream().map(name -> name.strip().toLowerCase(Locale.ROOT)).toList();
        }
    }

    private final RoleClaims claims;

    public Roles() {
        this(RoleClaims.DEFAULT);
    }

    public Roles(RoleClaims claims) {
        this.claims = claims;
    }

    @Override
    public AbstractAuthenticationToken convert(Jwt jwt) {
        return new JwtAuthenticationToken(jwt, authorities(claimValue(jwt.getClaims(), claims.claim()), claims), jwt.getSubject());
    }

    /** The claim read whole when the token has it (Auth0's namespaced claims are URLs, dots and all), else by its path. */
    static Object claimValue(Map<String, Object> token, String claim) {
        if (token.containsKey(claim)) {
            return token.get(claim);
        }
        Object value = token;
        for (String step : claim.split("\\.")) {
            if (!(value instanceof Map<?, ?> nested)) {
                return null;
            }
            value = nested.get(step);
        }
        return value;
    }

    /** Services, admins and proxies' keys act for any user; a user token only for its own account. */
    public static boolean actsForAnyUser(Authentication caller) {
        return holdsAnyOf(caller, ANY_USER);
    }

    /** Admins and services (not proxies' ingest keys): they may undo what any credential did. */
    public static boolean isAdminOrService(Authentication caller) {
        return holdsAnyOf(caller, Set.of("ROLE_ADMIN", "ROLE_SERVICE"));
    }

    public static boolean isIngestKey(Authentication caller) {
        return holdsAnyOf(caller, Set.of(INGEST_KEY_AUTHORITY));
    }

    /** Whether the caller has an account of its own (a user or admin token), rather than standing for a proxy. */
    public static boolean isPerson(Authentication caller) {
        return holdsAnyOf(caller, Set.of("ROLE_USER", "ROLE_ADMIN"));
    }

    private static boolean holdsAnyOf(Authentication caller, Set<String> authorities) {
        for (GrantedAuthority authority : caller.getAuthorities()) {
            if (authorities.contains(authority.getAuthority())) {
                return true;
            }
        }
        return false;
    }

    static Collection<GrantedAuthority> authorities(Object claim) {
        return authorities(claim, RoleClaims.DEFAULT);
    }

    static Collection<GrantedAuthority> authorities(Object claim, RoleClaims claims) {
        Stream<String> names = Stream.empty();
        if (claim instanceof String text) {
            names = Stream.of(text.split(" "));
        } else if (claim instanceof Collection<?> list) {
            names = list.stream().filter(String.class::isInstance).map(String.class::cast);
        }
        Set<String> given = names.map(name -> name.strip().toLowerCase(Locale.ROOT)).collect(java.util.stream.Collectors.toSet());
        List<GrantedAuthority> authorities = new java.util.ArrayList<>();
        if (claims.user().stream().anyMatch(given::contains)) {
            authorities.add(new SimpleGrantedAuthority("ROLE_USER"));
        }
        if (claims.admin().stream().anyMatch(given::contains)) {
            authorities.add(new SimpleGrantedAuthority("ROLE_ADMIN"));
        }
        if (claims.service().stream().anyMatch(given::contains)) {
            authorities.add(new SimpleGrantedAuthority("ROLE_SERVICE"));
        }
        return authorities;
    }
}

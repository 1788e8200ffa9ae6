package io.llmmetering.creditapi.auth;

import org.springframework.core.convert.converter.Converter;
import org.springframework.security.authentication.AbstractAuthenticationToken;
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

    @Override
    public AbstractAuthenticationToken convert(Jwt jwt) {
        return new JwtAuthenticationToken(jwt, authorities(jwt.getClaim(CLAIM)), jwt.getSubject());
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

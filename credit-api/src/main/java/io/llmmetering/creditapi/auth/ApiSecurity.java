package io.llmmetering.creditapi.auth;

import io.llmmetering.core.keys.IngestKeyAuthenticator;
import io.llmmetering.creditapi.config.CreditApiProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtDecoders;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationProvider;
import org.springframework.security.oauth2.server.resource.web.authentication.BearerTokenAuthenticationFilter;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.firewall.HttpFirewall;
import org.springframework.security.web.firewall.RequestRejectedHandler;

import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Who may call what. Users reach their own data, admins also {@code /api/v1/admin/**}, proxies (a service token
 * or their ingest key) holds and authorize for any user; the price quote, the price book, system status,
 * {@code /healthz} and the API docs are public (metrics: the loopback management port). Stateless: every request carries
 * its token, in the Authorization header or, as the seed's clients send it, in the {@code session_token} cookie.
 */
@Configuration(proxyBeanMethods = false)
class ApiSecurity {

    static final int MAX_SUBJECT_LENGTH = 255;

    @Bean
    SecurityFilterChain apiSecurityFilterChain(HttpSecurity http, JwtDecoder jwtDecoder, IngestKeyAuthenticator ingestKeys,
                                               CreditApiProperties properties) throws Exception {
        JwtAuthenticationProvider tokens = new JwtAuthenticationProvider(jwtDecoder);
        tokens.setJwtAuthenticationConverter(new Roles(properties.auth().roles() == null ? Roles.RoleClaims.DEFAULT : properties.auth().roles()));
        AuthenticationManager tokenManager = new ProviderManager(tokens);
        AuthenticationManager keyManager = new IngestKeyAuthentication(ingestKeys);
        http
                // no server-side session, so Spring's token store has nothing to guard; the cookie is guarded below
                .csrf(csrf -> csrf.disable())
                .addFilterBefore(new CookieCsrfGuard(), BearerTokenAuthenticationFilter.class)
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                // stateless: no saved request to replay after a login, no session to log out of
                .requestCache(cache -> cache.disable())
                .logout(logout -> logout.disable())
                .authorizeHttpRequests(requests -> requests
                        .requestMatchers(HttpMethod.GET, ApiAccess.PUBLIC_GETS.toArray(String[]::new)).permitAll()
                        .requestMatchers(HttpMethod.POST, ApiAccess.PUBLIC_POSTS.toArray(String[]::new)).permitAll()
                        // the management port listens on loopback only (MANAGEMENT_ADDRESS); the API's port has /healthz
                        .requestMatchers("/healthz", "/actuator/health", "/actuator/health/**", "/actuator/prometheus", "/actuator/info").permitAll()
                        .requestMatchers("/v3/api-docs", "/v3/api-docs/**", "/swagger-ui.html", "/swagger-ui/**").permitAll()
                        // the usage page itself holds no data: it asks the API with the user's token
                        .requestMatchers(HttpMethod.GET, "/usage", "/usage/", "/usage/*").permitAll()
                        .requestMatchers("/error").permitAll()
                        .requestMatchers(ApiAccess.ADMIN_PATHS, "/actuator/**").hasRole("ADMIN")
                        // a proxy's service token acts for users only where a proxy must: before and after a call
                        // and so may a proxy's ingest key, which reaches nothing else
                        .requestMatchers(ApiAccess.PROXY_PATHS.toArray(String[]::new))
                        .hasAnyRole("USER", "SERVICE", "ADMIN", "INGEST_KEY")
                        // a user's own account: a token with no role, or only "service", is nobody's user
                        .requestMatchers("/api/v1/**").hasAnyRole("USER", "ADMIN")
                        .anyRequest().hasAnyRole("USER", "SERVICE", "ADMIN"))
                .oauth2ResourceServer(resourceServer -> resourceServer
                        .bearerTokenResolver(new BearerTokens())
                        .authenticationManagerResolver(request -> IngestKeyAuthentication.presentedBy(request) ? keyManager : tokenManager)
                        .authenticationEntryPoint(ProblemWriter.unauthenticated())
                        .accessDeniedHandler(ProblemWriter.forbidden()))
                .exceptionHandling(exceptions -> exceptions
                        .authenticationEntryPoint(ProblemWriter.unauthenticated())
                        .accessDeniedHandler(ProblemWriter.forbidden()));
        return http.build();
    }

    /**
     * No observation per security filter: they wrapped every filter of the chain on every request (most of a
     * request's CPU in a profile of the proxies' endpoints) and nobody reads them; http_server_requests, which the
     * dashboards and alerts use, is recorded by its own filter.
     */
    @Bean
    SecurityObservationSettings noSecurityObservations() {
        return SecurityObservationSettings.noObservations();
    }

    @Bean
    IngestKeyAuthenticator ingestKeyAuthenticator(DataSource dataSource) {
        return new IngestKeyAuthenticator(dataSource);
    }

    @Bean
    RequestRejectedHandler requestRejectedHandler() {
        return ProblemWriter.rejected();
    }

    /** Spring Security uses this firewall for every request; its rules are the default ones. */
    @Bean
    HttpFirewall httpFirewall() {
        return HeaderCharacters.firewall();
    }

    /**
     * HS256 with the configured secret, or an identity provider's keys. Either way a token must be signed,
     * unexpired, carry an expiry at all, name this API among its audiences and a user id that fits an account.
     */
    @Bean
    JwtDecoder jwtDecoder(CreditApiProperties properties) {
        CreditApiProperties.Auth auth = properties.auth();
        NimbusJwtDecoder decoder;
        OAuth2TokenValidator<Jwt> defaults;
        if (!auth.jwtSecret().isBlank()) {
            decoder = NimbusJwtDecoder.withSecretKey(new SecretKeySpec(auth.jwtSecret().getBytes(StandardCharsets.UTF_8), "HmacSHA256"))
                    .macAlgorithm(MacAlgorithm.HS256).build();
            defaults = JwtValidators.createDefaultWithIssuer(auth.jwtIssuer());
        } else if (!auth.jwkSetUri().isBlank()) {
            decoder = NimbusJwtDecoder.withJwkSetUri(auth.jwkSetUri()).build();
            defaults = auth.issuerUri().isBlank() ? JwtValidators.createDefault() : JwtValidators.createDefaultWithIssuer(auth.issuerUri());
        } else {
            decoder = (NimbusJwtDecoder) JwtDecoders.fromIssuerLocation(auth.issuerUri());
            defaults = JwtValidators.createDefaultWithIssuer(auth.issuerUri());
        }
        decoder.setJwtValidator(new DelegatingOAuth2TokenValidator<>(defaults,
                new JwtClaimValidator<Instant>(JwtClaimNames.EXP, Objects::nonNull),
                new JwtClaimValidator<List<String>>(JwtClaimNames.AUD, audience -> audience != null && audience.contains(auth.jwtAudience())),
                new JwtClaimValidator<String>(JwtClaimNames.SUB, ApiSecurity::isUsableSubject)));
        return new CachingJwtDecoder(decoder, java.time.Clock.systemUTC());
    }

    static boolean isUsableSubject(String subject) {
        return subject != null && !subject.isBlank() && subject.length() <= MAX_SUBJECT_LENGTH
                && subject.chars().noneMatch(Character::isISOControl);
    }
}

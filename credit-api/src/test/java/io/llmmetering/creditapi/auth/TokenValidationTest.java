package io.llmmetering.creditapi.auth;

import io.llmmetering.creditapi.config.CreditApiProperties;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The decoder credit-api builds, without a server: what it accepts and what it refuses. */
@Tag("security")
class TokenValidationTest {

    private static final String SECRET = "unit-test-secret-0123456789-abcdefghij";
    private final JwtDecoder decoder = new ApiSecurity().jwtDecoder(new CreditApiProperties(true, CreditApiProperties.Role.BOTH, "redis://127.0.0.1:6379/0",
            Duration.ofSeconds(60), false, 0, null, null, null, new CreditApiProperties.Auth(SECRET, "", "", "llm-metering", "llm-metering-api", Roles.RoleClaims.DEFAULT), "", "https://openrouter.ai/api/v1"));

    @Test
    void theSecretsOfTheConfigurationNeverPrint() {
        String key = "cw_0x689RpI-jtRR7oE8h_eQsKImvJ8lJx2ke7XmKnQ=";
        CreditApiProperties properties = new CreditApiProperties(true, CreditApiProperties.Role.BOTH, "redis://user:hunter2@127.0.0.1:6379/0",
                Duration.ofSeconds(60), false, 0, null, null, null, new CreditApiProperties.Auth(SECRET, "", "", "llm-metering", "llm-metering-api", Roles.RoleClaims.DEFAULT), key, "https://openrouter.ai/api/v1");
        assertThat(properties.toString()).doesNotContain(SECRET, key, "hunter2").contains("jwtSecret=(set)", "encryptionKey=(set)", "role=BOTH");
        assertThat(properties.auth().toString()).doesNotContain(SECRET);
    }

    @Test
    void anIssuedTokenDecodesToItsSubjectAndRoles() {
        Jwt jwt = decoder.decode(new TokenIssuer(SECRET).admin("ops@example.com", Duration.ofMinutes(5)));
        assertThat(jwt.getSubject()).isEqualTo("ops@example.com");
        assertThat(new Roles().convert(jwt).getAuthorities()).extracting(Object::toString).containsExactlyInAnyOrder("ROLE_USER", "ROLE_ADMIN");
    }

    @Test
    void anExpiredTokenOrOneFromAnotherSecretIsRefused() {
        TokenIssuer old = new TokenIssuer(SECRET, Clock.fixed(Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC));
        assertThatThrownBy(() -> decoder.decode(old.user("u", Duration.ofHours(1)))).isInstanceOf(JwtException.class);
        assertThatThrownBy(() -> decoder.decode(new TokenIssuer("other-secret-0123456789-abcdefghijkl").user("u", Duration.ofHours(1))))
                .isInstanceOf(JwtException.class);
    }

    @Test
    void onlyKnownRolesBecomeAuthoritiesWhateverTheirSpelling() {
        assertThat(Roles.authorities(List.of("admin", "root", "superuser", 42))).extracting(Object::toString).containsExactly("ROLE_ADMIN");
        assertThat(Roles.authorities("user service")).extracting(Object::toString).containsExactly("ROLE_USER", "ROLE_SERVICE");
        assertThat(Roles.authorities(" ADMIN ")).extracting(Object::toString).containsExactly("ROLE_ADMIN");
        assertThat(Roles.authorities(null)).isEmpty();
        assertThat(Roles.authorities(Boolean.TRUE)).isEmpty();
    }

    @Test
    void aSubjectMustFitAnAccountId() {
        assertThat(ApiSecurity.isUsableSubject("test@example.com")).isTrue();
        assertThat(ApiSecurity.isUsableSubject("")).isFalse();
        assertThat(ApiSecurity.isUsableSubject("a".repeat(256))).isFalse();
        assertThat(ApiSecurity.isUsableSubject("line\nbreak")).isFalse();
    }

    @Test
    void theServiceRefusesToStartWithoutAWayToCheckTokensOrWithAShortSecret() {
        assertThatThrownBy(() -> new CreditApiProperties.Auth("", "", "", "llm-metering", "llm-metering-api", null)).hasMessageContaining("JWT_SECRET");
        assertThatThrownBy(() -> new CreditApiProperties.Auth("short", "", "", "llm-metering", "llm-metering-api", null)).hasMessageContaining("at least 32 bytes");
        assertThatThrownBy(() -> new CreditApiProperties.Auth(SECRET, "https://idp.example", "", "llm-metering", "llm-metering-api", null)).hasMessageContaining("not both");
        assertThatThrownBy(() -> new CreditApiProperties.Auth(SECRET, "", "https://idp.example/jwks", "llm-metering", "llm-metering-api", null)).hasMessageContaining("not both");
        assertThatThrownBy(() -> new CreditApiProperties.Auth(SECRET, "", "", " ", "llm-metering-api", null)).hasMessageContaining("JWT_ISSUER");
        assertThatThrownBy(() -> new CreditApiProperties.Auth(SECRET, "", "", "llm-metering", "", null)).hasMessageContaining("JWT_AUDIENCE");
        assertThatThrownBy(() -> new CreditApiProperties.Auth("", "", "https://idp.example/jwks", "llm-metering", " ", null)).hasMessageContaining("JWT_AUDIENCE");
    }

    /** Another system sharing the secret (or a token made by hand with it) is not an issuer of ours. */
    @Test
    void anHs256TokenFromAnotherIssuerOrWithoutOneIsRefused() throws Exception {
        for (String issuer : new String[] {"someone-else", null}) {
            String token = handMade(issuer, List.of(TokenIssuer.AUDIENCE));
            assertThatThrownBy(() -> decoder.decode(token)).as(String.valueOf(issuer)).isInstanceOf(JwtException.class);
        }
        assertThat(decoder.decode(handMade(TokenIssuer.ISSUER, List.of(TokenIssuer.AUDIENCE))).getSubject()).isEqualTo("u@example.com");
    }

    /** A token our issuer made for another application (another audience, or none named) does not open this API. */
    @Test
    void aTokenForAnotherAudienceOrForNoneIsRefused() throws Exception {
        for (List<String> audience : List.of(List.of("billing-ui"), List.<String>of(), List.of("llm-metering-api-x", "LLM-METERING-API"))) {
            String token = handMade(TokenIssuer.ISSUER, audience);
            assertThatThrownBy(() -> decoder.decode(token)).as(audience.toString()).isInstanceOf(JwtException.class);
        }
        assertThat(decoder.decode(handMade(TokenIssuer.ISSUER, List.of("billing-ui", TokenIssuer.AUDIENCE))).getSubject())
                .isEqualTo("u@example.com");
    }

    /** Signed with the right secret, so a refusal is for the issuer or audience it names. */
    private static String handMade(String issuer, List<String> audience) throws Exception {
        com.nimbusds.jwt.JWTClaimsSet.Builder claims = new com.nimbusds.jwt.JWTClaimsSet.Builder().subject("u@example.com")
                .claim("roles", List.of("user")).expirationTime(java.util.Date.from(Instant.now().plusSeconds(300)))
                .issueTime(java.util.Date.from(Instant.now())).audience(audience.isEmpty() ? null : audience);
        if (issuer != null) {
            claims.issuer(issuer);
        }
        com.nimbusds.jwt.SignedJWT token = new com.nimbusds.jwt.SignedJWT(new com.nimbusds.jose.JWSHeader(com.nimbusds.jose.JWSAlgorithm.HS256),
                claims.build());
        token.sign(new com.nimbusds.jose.crypto.MACSigner(SECRET.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        return token.serialize();
    }

    /** Keycloak, Auth0 and Okta put roles where their administrators configure them: the claim and the names are settings. */
    @Test
    void rolesAreReadFromTheClaimAndNamesTheIdentityProviderUses() {
        Roles.RoleClaims keycloak = new Roles.RoleClaims("realm_access.roles", List.of("metering-user"), List.of("metering-admin"), List.of());
        Map<String, Object> keycloakToken = Map.of("realm_access", Map.of("roles", List.of("offline_access", "metering-admin", "admin")));
        assertThat(Roles.authorities(Roles.claimValue(keycloakToken, keycloak.claim()), keycloak)).extracting(Object::toString)
                .containsExactly("ROLE_ADMIN");

        Roles.RoleClaims auth0 = new Roles.RoleClaims("https://metering.example.com/roles", List.of("user"), List.of("admin"), List.of("proxy"));
        Map<String, Object> auth0Token = Map.of("https://metering.example.com/roles", List.of("user", "proxy"));
        assertThat(Roles.authorities(Roles.claimValue(auth0Token, auth0.claim()), auth0)).extracting(Object::toString)
                .containsExactly("ROLE_USER", "ROLE_SERVICE");

        Roles.RoleClaims okta = new Roles.RoleClaims("groups", List.of("Metering Users"), List.of("Metering Admins"), List.of());
        Map<String, Object> oktaToken = Map.of("groups", List.of("Everyone", "Metering Users"));
        assertThat(Roles.authorities(Roles.claimValue(oktaToken, okta.claim()), okta)).extracting(Object::toString)
                .containsExactly("ROLE_USER");
        // the default names mean nothing under a mapping that does not list them: a token cannot pick its own role names
        assertThat(Roles.authorities(Roles.claimValue(Map.of("groups", List.of("admin")), okta.claim()), okta)).isEmpty();
        assertThat(Roles.claimValue(Map.of("realm_access", "not an object"), keycloak.claim())).isNull();
    }
}

package io.llmmetering.creditapi.auth;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.server.resource.web.DefaultBearerTokenResolver;
import org.springframework.security.web.firewall.StrictHttpFirewall;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The loops that replaced Spring's regular expressions on every request accept and refuse exactly what Spring's
 * own rules do: the bearer header as {@code DefaultBearerTokenResolver} reads it, header and parameter characters as
 * {@code StrictHttpFirewall}'s default patterns allow them. Compared on hand-picked hostile inputs and on 200,000
 * random strings drawn from the characters that decide (token characters, '=', spaces, tabs, controls,
 * surrogates, unassigned code points).
 */
@Tag("security")
class RequestTextRulesTest {

    /** StrictHttpFirewall's defaults, as Spring Security 7 writes them. */
    private static final Pattern NAMES = Pattern.compile("[\\p{IsAssigned}&&[^\\p{IsControl}]]*");
    private static final Pattern VALUES = Pattern.compile("[\\p{IsAssigned}&&[[^\\p{IsControl}]||\\t]]*");
    private static final String[] PIECES = {"Bearer ", "bearer ", "BEARER", "Bearer", "Basic ", "mk_", "eyJ", "a", "Z", "0", "9", "-", ".", "_",
            "~", "+", "/", "=", "==", " ", "\t", "\n", "\r", "\u0000", "\u007f", "\u0085", "\u00e9", "\u2028", "\ud83d\ude00", "\ud800",
            "\udc00", "\u0378", "\uffff", "%", "\"", ",", ";", ":", "\u0661"};

    @Test
    void theBearerHeaderIsReadAsSpringReadsIt() {
        for (String header : inputs(List.of("Bearer abc", "bearer abc", "BEARER abc==", "Bearer  abc", "Bearer abc ", "Bearer ", "Bearer",
                "Bearer a=b", "Bearer ==", "Bearer abc\t", "Bearer\tabc", "Basic dXNlcjpwYXNz", "Bearerabc", "DPoP abc", "", " Bearer abc",
                "Bearer a.b.c", "Bearer mk_0123abcd_secret", "Bearer é", "Bearer abc\u0000"))) {
            MockHttpServletRequest request = new MockHttpServletRequest();
            request.addHeader("Authorization", header);
            Supplier<String> spring = () -> new DefaultBearerTokenResolver().resolve(request);
            if (refuses(spring)) {
                assertThatThrownBy(() -> BearerTokens.fromAuthorizationHeader(header)).as(escaped(header))
                        .isInstanceOf(OAuth2AuthenticationException.class);
            } else {
                assertThat(BearerTokens.fromAuthorizationHeader(header)).as(escaped(header)).isEqualTo(spring.get());
            }
        }
        assertThat(BearerTokens.fromAuthorizationHeader(null)).isNull();
    }

    @Test
    void headerAndParameterCharactersAreAllowedAsTheFirewallsPatternsAllowThem() {
        for (String text : inputs(List.of("", "plain", "tab\there", "nul\u0000", "del\u007f", "next line\u0085", "é", "\ud83d\ude00",
                "lone \ud800", "lone \udc00", "unassigned \u0378", "not a char \uffff", "line\nbreak"))) {
            assertThat(HeaderCharacters.assignedAndNotControl(text, false)).as(escaped(text)).isEqualTo(NAMES.matcher(text).matches());
            assertThat(HeaderCharacters.assignedAndNotControl(text, true)).as(escaped(text)).isEqualTo(VALUES.matcher(text).matches());
        }
    }

    @Test
    void theFirewallRefusesAControlCharacterInAHeaderValue() {
        StrictHttpFirewall firewall = HeaderCharacters.firewall();
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/api/v1/credits/balance");
        request.addHeader("X-Hostile", "value\u0000with a NUL");
        request.addHeader("X-Fine", "value\twith a tab");
        var checked = firewall.getFirewalledRequest(request);
        assertThat(checked.getHeader("X-Fine")).isEqualTo("value\twith a tab");
        assertThatThrownBy(() -> checked.getHeader("X-Hostile"))
                .isInstanceOf(org.springframework.security.web.firewall.RequestRejectedException.class);
    }

    private static boolean refuses(Supplier<String> resolver) {
        try {
            resolver.get();
            return false;
        } catch (OAuth2AuthenticationException e) {
            return true;
        }
    }

    private static List<String> inputs(List<String> handPicked) {
        List<String> inputs = new ArrayList<>(handPicked);
        Random random = new Random(19);
        for (int i = 0; i < 100_000; i++) {
            StringBuilder text = new StringBuilder(i % 2 == 0 ? "Bearer " : "");
            int pieces = random.nextInt(8);
            for (int p = 0; p < pieces; p++) {
                text.append(PIECES[random.nextInt(PIECES.length)]);
            }
            inputs.add(text.toString());
        }
        return inputs;
    }

    private static String escaped(String text) {
        StringBuilder out = new StringBuilder();
        text.chars().forEach(c -> out.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\u%04x", c)));
        return out.toString();
    }
}

package io.llmmetering.creditapi.web;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.llmmetering.creditapi.auth.TokenIssuer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Who may call what, and what a forged, stale or borrowed token gets: always a problem+json, never data. */
@Tag("integration")
@Tag("security")
class ApiSecurityTest {

    private final ApiServer api = ApiServer.get();

    private static void assertProblem(HttpResponse<String> response, int status, String type) {
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
        assertThat(response.body()).contains("\"type\":\"https://llm-metering.dev/problems/" + type + "\"");
    }

    @Test
    void aRequestWithoutATokenIsUnauthenticated() throws Exception {
        HttpResponse<String> response = api.get("/api/v1/credits/balance", null);
        assertProblem(response, 401, "unauthenticated");
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertProblem(api.post("/api/v1/credits/deduct", null, "{\"amount\":1}"), 401, "unauthenticated");
        assertProblem(api.post("/api/v1/admin/credits/allocate", null, "{\"user_id\":\"x\",\"amount\":1}"), 401, "unauthenticated");
    }

    @Test
    void anExpiredTokenIsRefused() throws Exception {
        TokenIssuer lastWeek = new TokenIssuer(ApiServer.JWT_SECRET, Clock.fixed(Instant.now().minus(Duration.ofDays(7)), ZoneOffset.UTC));
        assertProblem(api.get("/api/v1/credits/balance", lastWeek.user("stale@example.com", Duration.ofHours(1))), 401, "unauthenticated");
    }

    @Test
    void aTokenSignedWithAnotherSecretIsRefused() throws Exception {
        String forged = new TokenIssuer("another-secret-0123456789-abcdefghijklm").admin("attacker@example.com", Duration.ofHours(1));
        assertProblem(api.get("/api/v1/credits/balance", forged), 401, "unauthenticated");
        assertProblem(api.post("/api/v1/admin/credits/allocate", forged, "{\"user_id\":\"attacker@example.com\",\"amount\":1000}"),
                401, "unauthenticated");
    }

    @Test
    void anUnsignedAlgNoneTokenIsRefused() throws Exception {
        String header = base64("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        String claims = base64("{\"sub\":\"admin@example.com\",\"roles\":[\"admin\"],\"exp\":" + (Instant.now().getEpochSecond() + 3600) + "}");
        assertProblem(api.get("/api/v1/admin/users/someone/balance", header + "." + claims + "."), 401, "unauthenticated");
    }

    @Test
    void aUserWhoEditsTheirTokenToBecomeAdminOrSomeoneElseIsRefused() throws Exception {
        String token = api.userToken("mallory@example.com");
        String[] parts = token.split("\\.");
        String escalated = base64("{\"sub\":\"mallory@example.com\",\"roles\":[\"user\",\"admin\"],\"iss\":\"llm-metering\",\"exp\":"
                + (Instant.now().getEpochSecond() + 3600) + "}");
        assertProblem(api.post("/api/v1/admin/credits/allocate", parts[0] + "." + escalated + "." + parts[2],
                "{\"user_id\":\"mallory@example.com\",\"amount\":1000}"), 401, "unauthenticated");
        String impersonating = base64("{\"sub\":\"victim@example.com\",\"roles\":[\"user\"],\"exp\":" + (Instant.now().getEpochSecond() + 3600) + "}");
        assertProblem(api.get("/api/v1/credits/balance", parts[0] + "." + impersonating + "." + parts[2]), 401, "unauthenticated");
    }

    @Test
    void aTokenWithoutExpiryOrWithoutSubjectIsRefused() throws Exception {
        // the same way of signing passes when nothing is missing: the refusals below are for the missing claims
        assertThat(api.get("/api/v1/credits/balance", signed(new JWTClaimsSet.Builder().subject("complete@example.com")
                .expirationTime(Date.from(Instant.now().plusSeconds(600))).claim("roles", List.of("user")).build())).statusCode())
                .isEqualTo(200);
        assertProblem(api.get("/api/v1/credits/balance", signed(new JWTClaimsSet.Builder().subject("forever@example.com")
                .claim("roles", List.of("user")).build())), 401, "unauthenticated");
        assertProblem(api.get("/api/v1/credits/balance", signed(new JWTClaimsSet.Builder()
                .expirationTime(Date.from(Instant.now().plusSeconds(600))).claim("roles", List.of("user")).build())), 401, "unauthenticated");
        assertProblem(api.get("/api/v1/credits/balance", signed(new JWTClaimsSet.Builder().subject("x".repeat(300))
                .expirationTime(Date.from(Instant.now().plusSeconds(600))).build())), 401, "unauthenticated");
    }

    @Test
    void aUserTokenNeverReachesAdminEndpointsOrOtherUsersData() throws Exception {
        String user = api.userToken("alice-" + System.nanoTime() + "@example.com");
        assertProblem(api.post("/api/v1/admin/credits/allocate", user, "{\"user_id\":\"alice@example.com\",\"amount\":100}"), 403, "forbidden");
        assertProblem(api.get("/api/v1/admin/users/bob@example.com/balance", user), 403, "forbidden");
        assertProblem(api.get("/api/v1/admin/users/bob@example.com/transactions", user), 403, "forbidden");
        assertProblem(api.put("/api/v1/admin/users/bob@example.com/tier", user, "{\"tier\":\"enterprise\"}"), 403, "forbidden");
        assertProblem(api.get("/api/v1/admin/ingest-keys", user), 403, "forbidden");
        assertProblem(api.get("/actuator/metrics", user), 403, "forbidden");
        // a service token (a proxy) is not an admin either
        String service = api.tokens.issue("proxy-eu-1", List.of("service"), Duration.ofMinutes(5));
        assertProblem(api.post("/api/v1/admin/credits/allocate", service, "{\"user_id\":\"proxy-eu-1\",\"amount\":100}"), 403, "forbidden");
        // nor a user: it places holds and checks spend for users, and has no account of its own to read or spend
        assertProblem(api.get("/api/v1/credits/balance", service), 403, "forbidden");
        assertProblem(api.post("/api/v1/credits/deduct", service, "{\"amount\":1}"), 403, "forbidden");
        assertProblem(api.get("/api/v1/credits/transactions", service), 403, "forbidden");
        assertThat(api.get("/api/v1/credits/authorize?user_id=someone@example.com&estimated_cost=0", service).statusCode()).isEqualTo(200);
        // a validly signed token that grants no role reaches nothing but the public endpoints
        String roleless = api.tokens.issue("nobody@example.com", List.of(), Duration.ofMinutes(5));
        assertProblem(api.get("/api/v1/credits/balance", roleless), 403, "forbidden");
        assertProblem(api.post("/api/v1/credits/holds", roleless, "{\"request_id\":\"r\",\"estimated_cost\":1}"), 403, "forbidden");
        assertThat(api.get("/api/v1/credits/pricing", roleless).statusCode()).isEqualTo(200);
    }

    @Test
    void userEndpointsIgnoreAUserIdInTheQueryAndShowOnlyTheCallersOwnData() throws Exception {
        String bob = "bob-" + System.nanoTime() + "@example.com";
        api.post("/api/v1/admin/credits/allocate", api.adminToken(), "{\"user_id\":\"" + bob + "\",\"amount\":77}");
        String eve = api.userToken("eve-" + System.nanoTime() + "@example.com");
        assertThat(api.get("/api/v1/credits/balance?user_id=" + bob, eve).body()).startsWith("{\"balance\":0.0,");
        assertThat(api.get("/api/v1/credits/transactions?user_id=" + bob, eve).body()).isEqualTo("{\"transactions\":[],\"next_cursor\":null}");
        assertThat(api.get("/api/v1/credits/balance", api.userToken(bob)).body()).startsWith("{\"balance\":77.0,");
    }

    @Test
    void theSessionTokenCookieAuthenticatesLikeTheHeaderAndAGarbageCookieIsRefused() throws Exception {
        String user = "cookie-" + System.nanoTime() + "@example.com";
        HttpResponse<String> viaCookie = api.http.send(api.request("/api/v1/credits/balance")
                .header("Cookie", "session_token=" + api.userToken(user)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(viaCookie.statusCode()).isEqualTo(200);
        HttpResponse<String> garbage = api.http.send(api.request("/api/v1/credits/balance")
                .header("Cookie", "session_token=not.a.token").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertProblem(garbage, 401, "unauthenticated");
    }

    /** A cross-site form can send the admin's cookie but no custom header: body-less POSTs were its way in. */
    @Test
    void aCrossSiteFormPostCarryingTheSessionCookieIsRefusedAndChangesNothing() throws Exception {
        String admin = api.adminToken();
        String user = "csrf-" + System.nanoTime() + "@example.com";
        api.post("/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"" + user + "\",\"amount\":2}");
        HttpResponse<String> forged = api.http.send(api.request("/api/v1/admin/users/" + enc(user) + "/suspend")
                .header("Cookie", "session_token=" + admin).header("Origin", "https://evil.example")
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString("a=b")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertProblem(forged, 403, "csrf");
        HttpResponse<String> forgedDeduct = api.http.send(api.request("/api/v1/credits/deduct")
                .header("Cookie", "session_token=" + api.userToken(user)).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":1}")).build(), HttpResponse.BodyHandlers.ofString());
        assertProblem(forgedDeduct, 403, "csrf");
        assertThat(api.get("/api/v1/admin/users/" + enc(user) + "/balance", admin).body()).contains("\"balance\":2.0", "\"status\":\"active\"");

        HttpResponse<String> fromTheApp = api.http.send(api.request("/api/v1/admin/users/" + enc(user) + "/suspend")
                .header("Cookie", "session_token=" + admin).header("X-Requested-With", "XMLHttpRequest")
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(fromTheApp.statusCode()).isEqualTo(200);
        assertThat(api.post("/api/v1/admin/users/" + enc(user) + "/resume", admin, null).statusCode()).isEqualTo(200);
    }

    /**
     * A browser adds cached Basic credentials by itself (a site behind a basic-auth gate): the guard skipped any
     * request with an Authorization header while the token came from the cookie, and a forged POST suspended an account.
     */
    @Test
    void aForgedPostWithTheSessionCookieAndABasicAuthorizationHeaderIsStillRefused() throws Exception {
        String admin = api.adminToken();
        String user = "csrf-basic-" + System.nanoTime() + "@example.com";
        api.post("/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"" + user + "\",\"amount\":2}");
        HttpResponse<String> forged = api.http.send(api.request("/api/v1/admin/users/" + enc(user) + "/suspend")
                .header("Cookie", "session_token=" + admin).header("Authorization", "Basic eDp5")
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertProblem(forged, 403, "csrf");
        assertThat(api.get("/api/v1/admin/users/" + enc(user) + "/balance", admin).body()).contains("\"status\":\"active\"");
    }

    @Test
    void sqlInjectionInEveryParameterIsDataNotSql() throws Exception {
        String admin = api.adminToken();
        String injection = "x'; DROP TABLE credit_transactions; --";
        HttpResponse<String> allocated = api.post("/api/v1/admin/credits/allocate", admin,
                "{\"user_id\":\"" + injection + "\",\"amount\":1,\"reason\":\"' OR 1=1 --\"}");
        assertThat(allocated.statusCode()).isEqualTo(200);
        String token = api.userToken(injection);
        assertThat(api.get("/api/v1/credits/balance", token).body()).startsWith("{\"balance\":1.0,");
        assertProblem(api.get("/api/v1/credits/transactions?type=" + enc("usage' OR '1'='1"), token), 400, "validation");
        assertProblem(api.get("/api/v1/credits/transactions?cursor=" + enc("1' OR '1'='1"), token), 400, "validation");
        assertProblem(api.get("/api/v1/credits/transactions?from=" + enc("2020-01-01' OR 1=1"), token), 400, "validation");
        assertProblem(api.post("/api/v1/credits/coupons/redeem", token, "{\"code\":\"X' OR '1'='1\"}"), 400, "validation");
        assertProblem(api.post("/api/v1/credits/calculate-cost", null, "{\"tokens_used\":1,\"model\":\"gpt-4o' OR 1=1 --\"}"), 400, "unknown-model");
        assertProblem(api.get("/api/v1/admin/users/" + enc(injection) + "/transactions?type=" + enc("' UNION SELECT 1 --"), admin), 400, "validation");
        try (Connection c = api.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet row = s.executeQuery("SELECT count(*) FROM credit_transactions WHERE user_id = '" + injection.replace("'", "''") + "'")) {
            row.next();
            assertThat(row.getInt(1)).isEqualTo(1);
        }
    }

    @Test
    void oversizedBodiesAndStringsAreRefusedWithTheRightStatus() throws Exception {
        String token = api.userToken("big-" + System.nanoTime() + "@example.com");
        String megabyte = "{\"amount\":1,\"reason\":\"" + "a".repeat(1024 * 1024) + "\"}";
        assertProblem(api.post("/api/v1/credits/deduct", token, megabyte), 413, "too-large");
        HttpResponse<String> chunked = api.http.send(api.request("/api/v1/credits/deduct").header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(megabyte.getBytes(StandardCharsets.UTF_8))))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertProblem(chunked, 413, "too-large");
        assertProblem(api.post("/api/v1/admin/credits/allocate", api.adminToken(),
                "{\"user_id\":\"" + "u".repeat(256) + "\",\"amount\":1}"), 400, "validation");
        assertProblem(api.post("/api/v1/admin/credits/allocate", api.adminToken(),
                "{\"user_id\":\"ok@example.com\",\"amount\":1,\"reason\":\"" + "r".repeat(1001) + "\"}"), 400, "validation");
        assertProblem(api.post("/api/v1/credits/deduct", token, "{\"amount\":1}", "Idempotency-Key", "k".repeat(256)), 400, "validation");
    }

    @Test
    void hostileJsonIsRefusedAsMalformedNeverA500() throws Exception {
        String token = api.userToken("json-" + System.nanoTime() + "@example.com");
        String nested = "[".repeat(5000) + "]".repeat(5000);
        for (String body : List.of("{\"amount\":NaN}", "{\"amount\":Infinity}", "{\"amount\":-Infinity}", "{\"amount\":\"ten\"}",
                "{\"amount\":1}{\"amount\":2}", "{\"amount\":", "not json", "{\"amount\":1,\"metadata\":" + nested + "}",
                "{\"amount\":[1]}", "{\"amount\":{\"$gt\":0}}")) {
            HttpResponse<String> response = api.post("/api/v1/credits/deduct", token, body);
            assertThat(response.statusCode()).as(body.length() > 60 ? body.substring(0, 60) : body).isEqualTo(400);
            assertThat(response.body()).contains("https://llm-metering.dev/problems/");
        }
        assertThat(api.get("/api/v1/credits/balance", token).body()).startsWith("{\"balance\":0.0,");
    }

    @Test
    void amountsThatAreNotExactPositiveCreditsAreRefused() throws Exception {
        String admin = api.adminToken();
        String user = "amounts-" + System.nanoTime() + "@example.com";
        for (String amount : List.of("0", "-0", "-0.0", "-5", "0.0000000001", "1e400", "1000000000.000000001", "1e-10")) {
            assertProblem(api.post("/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"" + user + "\",\"amount\":" + amount + "}"),
                    400, "validation");
        }
        assertThat(api.post("/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"" + user + "\",\"amount\":0.000000001}").body())
                .startsWith("{\"new_balance\":0.000000001,");
        assertThat(api.post("/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"" + user + "\",\"amount\":1e9}").body())
                .startsWith("{\"new_balance\":1000000000.000000001,");
    }

    /** Each would make BigDecimal expand a billion digits: the answer must come at once, whatever the endpoint. */
    @Test
    void amountsWithHostileExponentsAreRefusedAtOnceOnEveryEndpointThatTakesAnAmount() throws Exception {
        String admin = api.adminToken();
        String user = "exponents-" + System.nanoTime() + "@example.com";
        String token = api.userToken(user);
        api.post("/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"" + user + "\",\"amount\":5}");
        for (String amount : List.of("1e-1000000000", "1e+1000000000", "-1e-1000000000", "-1e+1000000000", "1e-2147483647",
                "1E+2147483647", "123456789e-999999999")) {
            List<HttpRequest> requests = List.of(
                    json(api.request("/api/v1/credits/deduct"), token, "POST", "{\"amount\":" + amount + "}"),
                    json(api.request("/api/v1/credits/holds"), token, "POST", "{\"request_id\":\"r-1\",\"estimated_cost\":" + amount + "}"),
                    api.request("/api/v1/credits/authorize?estimated_cost=" + amount.replace("+", "%2B"))
                            .header("Authorization", "Bearer " + token).GET().build(),
                    json(api.request("/api/v1/admin/credits/allocate"), admin, "POST", "{\"user_id\":\"" + user + "\",\"amount\":" + amount + "}"),
                    json(api.request("/api/v1/admin/users/" + enc(user) + "/monthly-cap"), admin, "PUT", "{\"monthly_cap\":" + amount + "}"),
                    json(api.request("/api/v1/admin/coupons"), admin, "POST",
                            "{\"code\":\"EXP" + System.nanoTime() + "\",\"discount_type\":\"fixed\",\"discount_value\":" + amount + "}"),
                    json(api.request("/api/v1/admin/pricing/models/exp-model"), admin, "PUT",
                            "{\"provider\":\"openai\",\"input_per_1k\":" + amount + ",\"output_per_1k\":1}"));
            for (HttpRequest request : requests) {
                long started = System.nanoTime();
                HttpResponse<String> response = api.http.send(request, HttpResponse.BodyHandlers.ofString());
                String what = request.method() + " " + request.uri().getPath() + " with " + amount;
                assertThat(response.statusCode()).as(what).isEqualTo(400);
                assertThat(response.body()).as(what).contains("https://llm-metering.dev/problems/").hasSizeLessThan(2_000);
                assertThat(Duration.ofNanos(System.nanoTime() - started)).as(what).isLessThan(Duration.ofSeconds(3));
            }
        }
        assertThat(api.get("/api/v1/credits/balance", token).body()).startsWith("{\"balance\":5.0,");
    }

    @Test
    void aBalanceThatWouldOverflowIsRefusedAsAValidationErrorAndLeftAsItWas() throws Exception {
        String admin = api.adminToken();
        String user = "overflow-" + System.nanoTime() + "@example.com";
        for (int i = 0; i < 9; i++) {
            assertThat(api.post("/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"" + user + "\",\"amount\":1e9}").statusCode())
                    .isEqualTo(200);
        }
        HttpResponse<String> tenth = api.post("/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"" + user + "\",\"amount\":1e9}");
        assertProblem(tenth, 400, "validation");
        assertThat(tenth.body()).contains("amount");
        assertThat(api.get("/api/v1/admin/users/" + enc(user) + "/balance", admin).body()).contains("\"balance\":9000000000.0");
    }

    private static HttpRequest json(HttpRequest.Builder request, String token, String method, String body) {
        return request.header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(10)).build();
    }

    @Test
    void unicodeUserIdsRoundTripExactlyAndControlCharactersAreRefused() throws Exception {
        String admin = api.adminToken();
        String user = "用户-" + System.nanoTime() + "-🙂@例え.jp";
        assertThat(api.post("/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"" + user + "\",\"amount\":3}").statusCode()).isEqualTo(200);
        assertThat(api.get("/api/v1/credits/balance", api.userToken(user)).body()).startsWith("{\"balance\":3.0,");
        assertThat(api.get("/api/v1/admin/users/" + enc(user) + "/balance", admin).body()).startsWith("{\"balance\":3.0,");
        assertProblem(api.post("/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"bad\\u0000id\",\"amount\":1}"), 400, "validation");
    }

    @Test
    void tokensIngestKeysAndProviderKeysNeverReachTheLogs() throws Exception {
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> captured = new ch.qos.logback.core.read.ListAppender<>();
        captured.start();
        root.addAppender(captured);
        // at DEBUG, where a careless library or a log line of ours would print a header, a token or a key
        List<ch.qos.logback.classic.Logger> verbose = List.of(
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("org.springframework.security"),
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.llmmetering"));
        verbose.forEach(logger -> logger.setLevel(ch.qos.logback.classic.Level.DEBUG));
        try {
            String user = "logs-" + System.nanoTime() + "@example.com";
            String token = api.userToken(user);
            String forged = new TokenIssuer("another-secret-0123456789-abcdefghijklm").admin(user, Duration.ofHours(1));
            api.get("/api/v1/credits/balance", token);
            api.get("/api/v1/credits/balance", forged);
            api.get("/api/v1/credits/balance", token.substring(0, token.length() - 3) + "abc");
            api.post("/api/v1/credits/deduct", token, "{\"amount\":1000000}");
            String ingestKey = tools.jackson.databind.json.JsonMapper.builder().build()
                    .readTree(api.post("/api/v1/admin/ingest-keys", api.adminToken(), "{\"name\":\"log-check\"}").body()).get("key").asString();
            String providerKey = "sk-or-v1-log-check-" + System.nanoTime();
            api.put("/api/v1/admin/users/" + user + "/openrouter-account", api.adminToken(), "{\"api_key\":\"" + providerKey + "\"}");
            // a check of an empty log would pass whatever the code did
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> captured.list.size() > 10);
            assertThat(captured.list).extracting(ch.qos.logback.classic.spi.ILoggingEvent::getLoggerName)
                    .anyMatch(name -> name.startsWith("org.springframework.security"));
            assertThat(captured.list.size()).isGreaterThan(10);
            for (ch.qos.logback.classic.spi.ILoggingEvent event : List.copyOf(captured.list)) {
                String logged = event.getFormattedMessage() + (event.getThrowableProxy() == null ? "" : event.getThrowableProxy().getMessage());
                for (String secret : List.of(token, forged, ingestKey, providerKey, token.split("\\.")[2], ApiServer.JWT_SECRET, ApiServer.ENCRYPTION_KEY)) {
                    assertThat(logged).as(event.getLoggerName()).doesNotContain(secret);
                }
            }
        } finally {
            verbose.forEach(logger -> logger.setLevel(null));
            root.detachAppender(captured);
        }
    }

    /** Refused by Tomcat before any servlet runs, still answered as problem+json, and without a stack trace. */
    @Test
    void aRequestLineTooLargeForTheServerIsAProblemNotTomcatsPage() throws Exception {
        HttpResponse<String> answer = api.get("/api/v1/credits/transactions?from=" + "%5B".repeat(6000), api.userToken("big-query@example.com"));
        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(answer.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        assertThat(answer.body()).contains("https://llm-metering.dev/problems/malformed-request").doesNotContain("<html", "Exception", "at org.");
        // found by the fuzz run (seed 2172290434432): a parameter without a name was a 500
        String user = api.userToken("nameless-parameter@example.com");
        for (String query : new String[] {"?=roup_by=model&from=2026-11-0", "?=x", "?group_by=model&=&limit=1"}) {
            assertProblem(api.get("/api/v1/credits/usage" + query, user), 400, "validation");
        }
    }

    /**
     * Spend per model and the balance distribution are nobody's business on the API's port: metrics and health
     * details answer on the management port, which listens on loopback only; the API's port says UP and no more.
     */
    @Test
    void metricsAndHealthDetailsAreOnlyOnTheLoopbackManagementPort() throws Exception {
        for (String path : new String[] {"/actuator/prometheus", "/actuator/health", "/actuator/health/db", "/actuator/info", "/actuator/metrics"}) {
            HttpResponse<String> answer = api.get(path, null);
            assertThat(answer.statusCode()).as(path).isIn(401, 404);
            assertThat(answer.body()).as(path).doesNotContain("credit_", "components", "jvm_");
        }
        assertThat(api.get("/actuator/prometheus", api.adminToken()).statusCode()).isEqualTo(404);
        HttpResponse<String> health = api.get("/healthz", null);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("{\"status\":\"UP\"}");

        assertThat(api.management("/actuator/prometheus").body()).contains("credit_cache_requests_total");
        assertThat(api.management("/actuator/health").body()).contains("\"components\"", "debitAppliers");
        java.net.InetAddress outside = java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces()).stream()
                .flatMap(nic -> java.util.Collections.list(nic.getInetAddresses()).stream())
                .filter(address -> address instanceof java.net.Inet4Address && !address.isLoopbackAddress()).findFirst().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(outside != null, "no address but loopback on this machine");
        try (java.net.Socket apiPort = new java.net.Socket()) {
            apiPort.connect(new java.net.InetSocketAddress(outside, api.port), 2000);
        }
        assertThatThrownBy(() -> {
            try (java.net.Socket managementPort = new java.net.Socket()) {
                managementPort.connect(new java.net.InetSocketAddress(outside, api.managementPort), 2000);
            }
        }).as("the management port from " + outside).isInstanceOf(java.io.IOException.class);
    }

    /**
     * A proxy's ingest key places, voids and checks holds for any user (it must name one), and opens nothing else:
     * not a user's own endpoints, not admin, not in the session cookie; a changed or revoked key is refused.
     */
    @Test
    void aProxysIngestKeyHoldsVoidsAndAuthorizesForAnyUserAndReachesNothingElse() throws Exception {
        String admin = api.adminToken();
        String user = "proxied-" + System.nanoTime() + "@example.com";
        assertThat(api.post("/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"" + user + "\",\"amount\":2}").statusCode()).isEqualTo(200);
        tools.jackson.databind.JsonNode created = new tools.jackson.databind.json.JsonMapper().readTree(api.post("/api/v1/admin/ingest-keys", admin, "{\"name\":\"proxy-holds\"}").body());
        String key = created.get("key").asString();

        HttpResponse<String> hold = api.post("/api/v1/credits/holds", key, "{\"user_id\":\"" + user + "\",\"request_id\":\"r-1\",\"estimated_cost\":1.5}");
        assertThat(hold.statusCode()).as(hold.body()).isEqualTo(201);
        String holdId = new tools.jackson.databind.json.JsonMapper().readTree(hold.body()).get("hold_id").asString();
        // whether the call may go ahead and why not, never how much the user has left
        assertThat(api.get("/api/v1/credits/authorize?user_id=" + enc(user) + "&estimated_cost=1", key).body())
                .contains("\"allowed\":false", "\"reason\":\"insufficient_credits\"").doesNotContain("available");
        // another proxy's key (a leaked one, say) cannot release the hold; the key that placed it can
        String otherKey = new tools.jackson.databind.json.JsonMapper().readTree(
                api.post("/api/v1/admin/ingest-keys", admin, "{\"name\":\"other-proxy\"}").body()).get("key").asString();
        assertThat(api.send("DELETE", "/api/v1/credits/holds/" + holdId, otherKey, null).statusCode()).isEqualTo(404);
        assertThat(api.send("DELETE", "/api/v1/credits/holds/" + holdId, api.userToken(user), null).statusCode()).isEqualTo(404);
        assertThat(api.send("DELETE", "/api/v1/credits/holds/" + holdId, key, null).body()).contains("\"status\":\"voided\"");
        assertThat(api.get("/api/v1/credits/authorize?user_id=" + enc(user) + "&estimated_cost=1", key).body()).contains("\"allowed\":true");
        try (java.sql.Connection c = api.dataSource().getConnection();
             java.sql.PreparedStatement s = c.prepareStatement("SELECT created_by FROM credit_holds WHERE id = ?::uuid")) {
            s.setString(1, holdId);
            try (java.sql.ResultSet row = s.executeQuery()) {
                assertThat(row.next()).isTrue();
                assertThat(row.getString(1)).isEqualTo("ingest-key:" + created.get("id").asString()).doesNotContain(key);
            }
        }
        // a fleet has no account of its own
        assertProblem(api.get("/api/v1/credits/authorize?estimated_cost=1", key), 400, "validation");
        assertProblem(api.post("/api/v1/credits/holds", key, "{\"request_id\":\"r-2\",\"estimated_cost\":1}"), 400, "validation");
        // and nothing but the proxy's endpoints
        assertProblem(api.get("/api/v1/credits/balance", key), 403, "forbidden");
        assertProblem(api.post("/api/v1/credits/deduct", key, "{\"amount\":1}"), 403, "forbidden");
        assertProblem(api.get("/api/v1/credits/transactions", key), 403, "forbidden");
        assertProblem(api.get("/api/v1/admin/users/" + enc(user) + "/balance", key), 403, "forbidden");
        assertProblem(api.post("/api/v1/admin/credits/allocate", key, "{\"user_id\":\"" + user + "\",\"amount\":1000}"), 403, "forbidden");
        assertProblem(api.post("/api/v1/admin/ingest-keys", key, "{\"name\":\"escalate\"}"), 403, "forbidden");
        HttpResponse<String> viaCookie = api.http.send(api.request("/api/v1/credits/authorize?user_id=" + enc(user))
                .header("Cookie", "session_token=" + key).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertProblem(viaCookie, 401, "unauthenticated");
        // a key with its secret changed, a made-up one, then the real one revoked (it lives at most the key cache's 5 s)
        String changed = key.substring(0, key.length() - 4) + (key.endsWith("aaaa") ? "bbbb" : "aaaa");
        assertProblem(api.get("/api/v1/credits/authorize?user_id=" + enc(user), changed), 401, "unauthenticated");
        assertProblem(api.get("/api/v1/credits/authorize?user_id=" + enc(user), "mk_000000000000_" + "0".repeat(28)), 401, "unauthenticated");
        assertThat(api.send("DELETE", "/api/v1/admin/ingest-keys/" + created.get("id").asString(), admin, null).statusCode()).isEqualTo(204);
        Awaitility.await().atMost(io.llmmetering.core.keys.IngestKeyAuthenticator.CACHE_TTL.plusSeconds(5))
                .untilAsserted(() -> assertProblem(api.get("/api/v1/credits/authorize?user_id=" + enc(user), key), 401, "unauthenticated"));
        assertThat(api.get("/api/v1/admin/users/" + enc(user) + "/balance", admin).body()).startsWith("{\"balance\":2.0,");
    }

    /** Signed with the service's secret and naming its issuer and audience, so a refusal is for what the claims lack. */
    private static String signed(JWTClaimsSet claims) throws Exception {
        claims = new JWTClaimsSet.Builder(claims).issuer(TokenIssuer.ISSUER).audience(TokenIssuer.AUDIENCE).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        jwt.sign(new MACSigner(ApiServer.JWT_SECRET.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    private static String base64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String enc(String text) {
        return java.net.URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }
}

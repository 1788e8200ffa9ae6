package io.llmmetering.local.faults;

import io.llmmetering.creditapi.auth.TokenIssuer;
import io.llmmetering.kafka.embedded.EmbeddedKafkaBroker;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole system against a broker that refuses plaintext: clients connect with SASL_SSL only (SCRAM-SHA-512 users,
 * a certificate made for the run), the standard authorizer is on, and each service's user holds exactly the ACLs
 * docs/operations.md lists, read from that page. Every service gets its Kafka settings the way an operator writes
 * them ({@code --spring.kafka.*}).
 */
@Tag("integration")
@Tag("security")
class SecuredKafkaEndToEndTest {

    private static final Map<String, String> PASSWORDS = Map.of(
            "usage-ingest", "ingest-secret-1", "metering-streams", "streams-secret-1", "credit-api", "api-secret-1");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void theWholeSystemRunsThroughASaslSslBrokerWithOnlyTheDocumentedAcls(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) throws Exception {
        EmbeddedKafkaBroker.Builder cluster = EmbeddedKafkaBroker.builder().saslSsl().authorizer();
        PASSWORDS.forEach(cluster::user);
        try (ProcessPipeline pipeline = new ProcessPipeline(dir, cluster,
                (broker, service) -> springKafkaArguments(broker.clientSettings(service, PASSWORDS.get(service))))) {
            List<AclBinding> acls = documentedAcls();
            pipeline.start(broker -> broker.createAcls(acls));

            // events in by HTTP, priced by the topology, applied and cached: charged exactly, unpriceable ones dead-lettered
            ProxyFleet fleet = new ProxyFleet(pipeline, "sasl", 50, 1_500, 0, 27);
            LedgerInvariants invariants = new LedgerInvariants(pipeline, fleet);
            fleet.run();
            assertThat(invariants.check(Duration.ofMinutes(3))).as(pipeline.logs()).isEmpty();
            assertThat(fleet.invalidEventIds).isNotEmpty();

            // the dead letters are archived by credit-api, priced by an admin and replayed: each charged once
            String admin = new TokenIssuer(ProcessPipeline.JWT_SECRET).admin("ops@example.com", Duration.ofMinutes(10));
            String api = "http://127.0.0.1:" + pipeline.api.port();
            await().atMost(Duration.ofMinutes(1)).until(() -> count(pipeline, "SELECT count(*) FROM dead_letters WHERE model = 'no-such-model'")
                    >= fleet.invalidEventIds.size());
            HttpResponse<String> priced = send(api + "/api/v1/admin/pricing/models/no-such-model", "PUT", admin,
                    "{\"provider\":\"acme\",\"input_per_1k\":0.001,\"output_per_1k\":0.002}");
            assertThat(priced.statusCode()).as(priced.body()).isEqualTo(200);
            awaitTheTopologyPrices(pipeline);
            HttpResponse<String> replayed = send(api + "/api/v1/admin/dead-letters/replay", "POST", admin,
                    "{\"reason\":\"unknown_model\",\"model\":\"no-such-model\"}");
            assertThat(replayed.statusCode()).as(replayed.body()).isEqualTo(200);
            await().atMost(Duration.ofMinutes(1)).until(() -> count(pipeline,
                    "SELECT count(DISTINCT event_id) FROM usage_events WHERE model = 'no-such-model' AND user_id <> 'canary@example.com'")
                    == fleet.invalidEventIds.size());
            assertThat(count(pipeline, "SELECT count(*) FROM usage_events WHERE model = 'no-such-model' AND user_id <> 'canary@example.com'"))
                    .as("each replayed dead letter charged once").isEqualTo(fleet.invalidEventIds.size());
            assertThat(count(pipeline, "SELECT count(*) FROM user_credits u WHERE balance <> "
                    + "(SELECT coalesce(sum(amount), 0) FROM credit_transactions t WHERE t.user_id = u.user_id)")).isZero();

            // wrong credentials: refused with a clear line and health DOWN, not a silent hang
            ServiceProcess wrong = pipeline.usageIngest("usage-ingest-wrong-password",
                    springKafkaArguments(pipeline.broker.clientSettings("usage-ingest", "not-the-password")).toArray(String[]::new)).start();
            await().atMost(Duration.ofMinutes(1)).until(() -> wrong.healthStatus() == 503);
            assertThat(wrong.health()).contains("authentication refused");
            assertThat(Files.readString(wrong.log())).contains("failed authentication").doesNotContain("not-the-password");

            // the topology too: it answers health DOWN with the reason, rather than exiting or waiting for its price book
            ServiceProcess wrongTopology = pipeline.meteringStreams("metering-streams-wrong-password",
                    springKafkaArguments(pipeline.broker.clientSettings("metering-streams", "not-the-password")).toArray(String[]::new)).start();
            await().atMost(Duration.ofMinutes(1)).until(() -> wrongTopology.health().contains("authentication refused"));
            assertThat(wrongTopology.health()).contains("\"status\":\"DOWN\"");
            assertThat(wrongTopology.healthStatus()).isEqualTo(503);
            assertThat(Files.readString(wrongTopology.log())).contains("Kafka refused the topology, stopping").doesNotContain("not-the-password");
            assertThat(wrongTopology.alive()).isTrue();
        }
    }

    /**
     * A service missing one of its ACLs fails with a message naming what it lacks: credit-api without READ on its
     * consumer group reports it in its log and its health, and applies nothing.
     */
    @Test
    void aServiceMissingOneOfItsAclsSaysWhichAndApplierHealthGoesDown(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) throws Exception {
        EmbeddedKafkaBroker.Builder cluster = EmbeddedKafkaBroker.builder().saslSsl().authorizer();
        PASSWORDS.forEach(cluster::user);
        List<AclBinding> withoutTheGroup = documentedAcls().stream()
                .filter(acl -> !(acl.pattern().resourceType() == ResourceType.GROUP && acl.entry().principal().equals("User:credit-api")))
                .toList();
        try (ProcessPipeline pipeline = new ProcessPipeline(dir, cluster,
                (broker, service) -> springKafkaArguments(broker.clientSettings(service, PASSWORDS.get(service))))) {
            assertThat(withoutTheGroup).hasSize(documentedAcls().size() - 1);
            pipeline.startWithoutWaiting(broker -> broker.createAcls(withoutTheGroup));
            await().atMost(Duration.ofMinutes(2)).until(() -> Files.readString(pipeline.api.log()).contains("credit-api-debit-applier")
                    && Files.readString(pipeline.api.log()).contains("GroupAuthorizationException"));
            await().atMost(Duration.ofMinutes(1)).until(() -> pipeline.api.healthStatus() == 503);
        }
    }

    /** The ACL table of docs/operations.md, between its markers: what operators paste into their cluster. */
    static List<AclBinding> documentedAcls() throws Exception {
        String page = Files.readString(Path.of("..", "docs", "operations.md"));
        String table = page.substring(page.indexOf("<!-- acl-table"), page.indexOf("<!-- /acl-table -->"));
        List<AclBinding> acls = new ArrayList<>();
        for (String line : table.split("\n")) {
            String[] cells = line.split("\\|");
            if (cells.length < 6 || cells[1].isBlank() || cells[1].strip().equals("principal") || cells[1].startsWith("-")) {
                continue;
            }
            ResourcePattern resource = new ResourcePattern(ResourceType.fromString(cells[2].strip()), cells[4].strip(),
                    PatternType.fromString(cells[3].strip()));
            for (String operation : cells[5].split(",")) {
                acls.add(new AclBinding(resource, new AccessControlEntry("User:" + cells[1].strip(), "*",
                        AclOperation.fromString(operation.strip()), AclPermissionType.ALLOW)));
            }
        }
        assertThat(acls).as("ACLs read from docs/operations.md").hasSizeGreaterThan(20);
        return acls;
    }

    /** A client's Kafka settings as an operator passes them to a service: Spring Boot's {@code spring.kafka.*}. */
    static List<String> springKafkaArguments(Map<String, Object> settings) {
        List<String> arguments = new ArrayList<>();
        settings.forEach((name, value) -> arguments.add(switch (name) {
            case "bootstrap.servers" -> "--spring.kafka.bootstrap-servers=" + value;
            case "security.protocol" -> "--spring.kafka.security.protocol=" + value;
            case "ssl.truststore.location" -> "--spring.kafka.ssl.trust-store-location=file:" + value;
            case "ssl.truststore.password" -> "--spring.kafka.ssl.trust-store-password=" + value;
            case "ssl.truststore.type" -> "--spring.kafka.ssl.trust-store-type=" + value;
            default -> "--spring.kafka.properties." + name + "=" + value;
        }));
        return arguments;
    }

    /** The API quotes a new price at once; the topology's copy follows the topic: a canary event tells. */
    private static void awaitTheTopologyPrices(ProcessPipeline pipeline) throws Exception {
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).until(() -> {
            String id = "canary-" + System.nanoTime();
            send(pipeline.ingestBase() + "/api/v1/usage/events", "POST", pipeline.ingestKey(), "{\"event_id\":\"" + id
                    + "\",\"user_id\":\"canary@example.com\",\"provider\":\"acme\",\"model\":\"no-such-model\",\"input_tokens\":10}");
            await().atMost(Duration.ofSeconds(10)).until(() -> count(pipeline, "SELECT count(*) FROM usage_events WHERE event_id = '" + id + "'")
                    + count(pipeline, "SELECT count(*) FROM dead_letters WHERE event_id = '" + id + "'") > 0);
            return count(pipeline, "SELECT count(*) FROM usage_events WHERE event_id = '" + id + "'") > 0;
        });
    }

    private static HttpResponse<String> send(String url, String method, String token, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static long count(ProcessPipeline pipeline, String sql) throws Exception {
        try (Connection c = pipeline.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }
}

package io.llmmetering.local;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Docker is not available here, so the compose file, Prometheus configuration, alert rules and dashboard are
 * checked as data: they parse, every service is health-checked and started in order, and every environment
 * variable compose sets is one the service really reads.
 */
class DeploymentFilesTest {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z_]+)");

    @SuppressWarnings("unchecked")
    private static Map<String, Object> yaml(Path file) throws Exception {
        return (Map<String, Object>) new Yaml().load(DeploymentFiles.read(file));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> services() throws Exception {
        return (Map<String, Object>) yaml(DeploymentFiles.COMPOSE).get("services");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> service(String name) throws Exception {
        return (Map<String, Object>) services().get(name);
    }

    @Test
    void composeRunsKafkaPostgresRedisTheThreeServicesPrometheusAndGrafana() throws Exception {
        assertThat(services().keySet()).containsExactlyInAnyOrder("kafka", "postgres", "redis", "migrations", "metering-streams",
                "credit-api", "credit-applier", "usage-ingest", "prometheus", "grafana");
        assertThat((String) service("kafka").get("image")).startsWith("apache/kafka:");
        assertThat((String) service("postgres").get("image")).isEqualTo("postgres:15");
        assertThat((String) service("redis").get("image")).startsWith("redis:");
        assertThat((String) service("prometheus").get("image")).startsWith("prom/prometheus:");
        assertThat((String) service("grafana").get("image")).startsWith("grafana/grafana:");
        assertThat((List<String>) service("credit-api").get("ports")).containsExactly("127.0.0.1:8084:8084");
        assertThat((List<String>) service("usage-ingest").get("ports")).containsExactly("127.0.0.1:8085:8085");
        Map<String, Object> kafkaEnv = (Map<String, Object>) service("kafka").get("environment");
        assertThat((String) kafkaEnv.get("KAFKA_PROCESS_ROLES")).isEqualTo("broker,controller");
    }

    /** Nothing listens beyond the host unless an operator says so; actuators reach Prometheus, never the host. */
    @Test
    @Tag("security")
    @SuppressWarnings("unchecked")
    void composePublishesOnLoopbackOnlyAndNeverAManagementPort() throws Exception {
        for (Map.Entry<String, Object> entry : services().entrySet()) {
            List<String> ports = (List<String>) ((Map<String, Object>) entry.getValue()).getOrDefault("ports", List.of());
            for (String port : ports) {
                assertThat(port).as(entry.getKey()).startsWith("127.0.0.1:").doesNotContain(":908");
            }
        }
        assertThat(service("metering-streams")).doesNotContainKey("ports");
        for (String name : List.of("credit-api", "usage-ingest", "metering-streams")) {
            assertThat(((Map<String, Object>) service(name).get("environment")).get("MANAGEMENT_ADDRESS")).as(name).isEqualTo("0.0.0.0");
            String defaults = DeploymentFiles.read(DeploymentFiles.ROOT.resolve(name + "/src/main/resources/application.yml"));
            assertThat(defaults).as(name).contains("address: ${MANAGEMENT_ADDRESS:127.0.0.1}", "additional-path: \"server:/healthz\"");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyServiceIsHealthCheckedAndStartsOnlyWhenWhatItNeedsIsHealthy() throws Exception {
        Map<String, Object> services = services();
        for (Map.Entry<String, Object> entry : services.entrySet()) {
            Map<String, Object> service = (Map<String, Object>) entry.getValue();
            if (!entry.getKey().equals("migrations")) { // a one-shot step: it is waited for, not health-checked
                Map<String, Object> healthcheck = (Map<String, Object>) service.get("healthcheck");
                assertThat(healthcheck).as(entry.getKey() + " healthcheck").isNotNull().containsKey("test");
            }
            Map<String, Object> dependsOn = (Map<String, Object>) service.getOrDefault("depends_on", Map.of());
            dependsOn.forEach((dependency, condition) -> {
                assertThat(services).as(entry.getKey() + " depends on " + dependency).containsKey(dependency);
                assertThat(((Map<String, Object>) condition).get("condition")).isEqualTo(dependency.equals("migrations")
                        ? "service_completed_successfully" : "service_healthy");
            });
        }
        // the schema is migrated once, by the migrations step, before any credit-api process starts; none migrates itself
        assertThat((List<String>) service("migrations").get("command")).containsExactly("migrate");
        for (String name : List.of("credit-api", "credit-applier")) {
            assertThat((Map<String, Object>) service(name).get("depends_on")).as(name).containsKey("migrations");
            assertThat(((Map<String, Object>) service(name).get("environment")).get("CREDIT_MIGRATE_ON_START")).as(name).isEqualTo("false");
        }
        assertThat(((Map<String, Object>) service("credit-api").get("environment")).get("CREDIT_ROLE")).isEqualTo("api");
        assertThat(((Map<String, Object>) service("credit-applier").get("environment")).get("CREDIT_ROLE")).isEqualTo("applier");
        assertThat((Map<String, Object>) service("credit-api").get("depends_on")).containsKeys("postgres", "redis");
        // usage-ingest reads ingest_api_keys: it starts after credit-api has migrated the database
        assertThat((Map<String, Object>) service("usage-ingest").get("depends_on")).containsKey("credit-api");
    }

    /** A service that exits (a failure to start, the OOM killer) is started again; the one-shot migrations are not. */
    @Test
    @SuppressWarnings("unchecked")
    void everyLongRunningServiceIsStartedAgainWhenItExits() throws Exception {
        services().forEach((name, service) -> assertThat(((Map<String, Object>) service).get("restart")).as(name)
                .isEqualTo(name.equals("migrations") ? "no" : "unless-stopped"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyVariableComposeSetsIsOneTheServiceReads() throws Exception {
        Map<String, String> modules = Map.of("credit-api", "credit-api", "usage-ingest", "usage-ingest", "metering-streams", "metering-streams");
        for (Map.Entry<String, String> module : modules.entrySet()) {
            String config = DeploymentFiles.read(DeploymentFiles.ROOT.resolve(module.getValue() + "/src/main/resources/application.yml"));
            Set<String> read = new java.util.HashSet<>();
            Matcher matcher = PLACEHOLDER.matcher(config);
            while (matcher.find()) {
                read.add(matcher.group(1));
            }
            Map<String, Object> environment = (Map<String, Object>) service(module.getKey()).get("environment");
            for (String variable : environment.keySet()) {
                // METERING_STREAMS_* binds to metering.streams.* by Spring's relaxed binding
                boolean relaxed = module.getKey().equals("metering-streams") && variable.startsWith("METERING_STREAMS_")
                        || variable.equals("LOGGING_STRUCTURED_FORMAT_CONSOLE"); // Spring Boot's own structured logging
                assertThat(read.contains(variable) || relaxed).as(module.getKey() + " reads " + variable).isTrue();
            }
            Map<String, Object> build = (Map<String, Object>) service(module.getKey()).get("build");
            assertThat(((Map<String, Object>) build.get("args")).get("MODULE")).isEqualTo(module.getValue());
            assertThat(DeploymentFiles.ROOT.resolve((String) build.get("dockerfile"))).exists();
        }
        assertThat((String) ((Map<String, Object>) service("credit-api").get("environment")).get("JWT_SECRET")).startsWith("${JWT_SECRET:?");
    }

    @Test
    @SuppressWarnings("unchecked")
    void prometheusScrapesEachServiceWhereComposeRunsIt() throws Exception {
        Map<String, Object> prometheus = yaml(DeploymentFiles.PROMETHEUS);
        assertThat((List<String>) prometheus.get("rule_files")).containsExactly("/etc/prometheus/alerts.yml");
        List<Map<String, Object>> jobs = (List<Map<String, Object>>) prometheus.get("scrape_configs");
        Map<String, String> targets = new java.util.HashMap<>();
        for (Map<String, Object> job : jobs) {
            assertThat(job.get("metrics_path")).isEqualTo("/actuator/prometheus");
            List<String> jobTargets = (List<String>) ((List<Map<String, Object>>) job.get("static_configs")).get(0).get("targets");
            targets.put((String) job.get("job_name"), jobTargets.get(0));
        }
        assertThat(targets).containsEntry("credit-api", "credit-api:9084").containsEntry("credit-applier", "credit-applier:9084")
                .containsEntry("usage-ingest", "usage-ingest:9085")
                .containsEntry("metering-streams", "metering-streams:9086");
        assertThat(DeploymentFiles.read(DeploymentFiles.COMPOSE)).contains("./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml");
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyAlertRuleHasAnExpressionASeverityASummaryAndARunbook() throws Exception {
        List<Map<String, Object>> groups = (List<Map<String, Object>>) yaml(DeploymentFiles.ALERTS).get("groups");
        Set<String> alerts = new java.util.HashSet<>();
        for (Map<String, Object> group : groups) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                String name = (String) rule.get("alert");
                alerts.add(name);
                assertThat((String) rule.get("expr")).as(name).isNotBlank();
                assertThat(balanced((String) rule.get("expr"))).as(name + " brackets").isTrue();
                assertThat((String) ((Map<String, Object>) rule.get("labels")).get("severity")).isIn("info", "warning", "critical");
                Map<String, Object> annotations = (Map<String, Object>) rule.get("annotations");
                assertThat(annotations).containsKeys("summary", "runbook");
                // the runbook link lands on the alert's own section of the operations guide
                assertThat(annotations.get("runbook")).isEqualTo("docs/operations.md#" + name.toLowerCase(java.util.Locale.ROOT));
                assertThat(DeploymentFiles.read(DeploymentFiles.ROOT.resolve("docs/operations.md"))).contains("\n### " + name + "\n");
            }
        }
        // the seed's four, and the pipeline's own
        assertThat(alerts).contains("LowCreditBalances", "CreditEndpointErrorRate", "UnusualSpending", "FailedTransactionSpike",
                "LedgerConsumerLag", "DeadLettersGrowing");
    }

    @Test
    void theDashboardHasTheSeedsPanelsOnTheProvisionedDatasource() throws Exception {
        JsonNode dashboard = JsonMapper.builder().build().readTree(DeploymentFiles.read(DeploymentFiles.DASHBOARD));
        List<String> titles = new java.util.ArrayList<>();
        for (JsonNode panel : dashboard.get("panels")) {
            titles.add(panel.get("title").asString());
            if (panel.get("type").asString().equals("row")) {
                continue;
            }
            assertThat(panel.get("datasource").get("uid").asString()).as("a data source chosen on the dashboard, not a fixed uid").isEqualTo("${datasource}");
            for (JsonNode target : panel.get("targets")) {
                assertThat(balanced(target.get("expr").asString())).as(panel.get("title").asString()).isTrue();
                assertThat(target.path("datasource").path("uid").asString("${datasource}")).isEqualTo("${datasource}");
            }
        }
        assertThat(titles).anyMatch(t -> t.startsWith("Credit balance distribution")).anyMatch(t -> t.startsWith("Transaction volume"))
                .anyMatch(t -> t.startsWith("API endpoint latency")).anyMatch(t -> t.startsWith("Error rates"))
                .anyMatch(t -> t.startsWith("Ingest throughput")).anyMatch(t -> t.startsWith("Ledger consumer lag"))
                .anyMatch(t -> t.startsWith("Spend by model")).anyMatch(t -> t.startsWith("Spend by provider"))
                .anyMatch(t -> t.startsWith("Topology: events priced and duplicates dropped")).anyMatch(t -> t.startsWith("Dead letters by reason"))
                .anyMatch(t -> t.startsWith("Topology consumer lag"));
        JsonNode variable = dashboard.get("templating").get("list").get(0);
        assertThat(variable.get("name").asString()).isEqualTo("datasource");
        assertThat(variable.get("type").asString()).isEqualTo("datasource");
        assertThat(variable.get("query").asString()).isEqualTo("prometheus");
        assertThat(DeploymentFiles.read(DeploymentFiles.ALERTS)).contains("kafka_stream_metering_events_dead_lettered_total");
        assertThat(DeploymentFiles.read(DeploymentFiles.DATASOURCES)).contains("uid: prometheus", "url: http://prometheus:9090");
        assertThat(DeploymentFiles.referencedMetrics()).contains("credit_spend_total", "http_server_requests_seconds_bucket");
    }

    private static boolean balanced(String expression) {
        int depth = 0;
        for (char c : expression.toCharArray()) {
            depth += c == '(' || c == '{' || c == '[' ? 1 : c == ')' || c == '}' || c == ']' ? -1 : 0;
            if (depth < 0) {
                return false;
            }
        }
        return depth == 0;
    }
}

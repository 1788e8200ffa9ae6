package io.llmmetering.usageingest.web;

import io.llmmetering.schemas.UsageEvent;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reliability scenario 4: the broker stops under traffic and comes back with its log. While it is away ingest
 * holds each request up to its 10 s acknowledgement timeout, then answers 503 (the proxy retries the batch); every event ingest accepted (202) is in {@code usage.events}
 * afterwards, so nothing accepted is lost. A batch that failed halfway may be published twice: the topology's
 * dedupe charges it once.
 */
@Tag("integration")
@Tag("reliability")
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class BrokerRestartTest {

    private static final IngestServiceFixture FIXTURE = new IngestServiceFixture();

    @DynamicPropertySource
    static void services(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> FIXTURE.jdbcUrl);
        registry.add("spring.kafka.bootstrap-servers", FIXTURE.broker::bootstrapServers);
    }

    @AfterAll
    static void cleanUp() throws Exception {
        FIXTURE.close();
    }

    @LocalServerPort
    int port;

    @Test
    void eventsAcceptedAroundABrokerRestartAreAllPublishedAndRefusedOnesSucceedOnRetry() throws Exception {
        AtomicBoolean sending = new AtomicBoolean(true);
        AtomicInteger unavailable = new AtomicInteger();
        Set<String> accepted = java.util.concurrent.ConcurrentHashMap.newKeySet();
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread proxy = new Thread(() -> {
            int batch = 0;
            while (sending.get()) {
                List<String> ids = new ArrayList<>();
                StringBuilder body = new StringBuilder("[");
                for (int i = 0; i < 20; i++) {
                    String id = "restart-" + batch + "-" + i;
                    ids.add(id);
                    body.append(i == 0 ? "" : ",").append("{\"event_id\":\"").append(id).append("\",\"user_id\":\"u").append(i % 5)
                            .append("\",\"provider\":\"openai\",\"model\":\"gpt-4o\",\"input_tokens\":100,\"output_tokens\":10}");
                }
                body.append("]");
                try {
                    while (true) { // a proxy retries a refused batch until ingest takes it
                        HttpResponse<String> response = FIXTURE.post(port, "/api/v1/usage/events", "application/json", body.toString());
                        if (response.statusCode() == 202) {
                            accepted.addAll(ids);
                            break;
                        }
                        assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
                        assertThat(response.headers().firstValue("Retry-After")).isPresent();
                        unavailable.incrementAndGet();
                        Thread.sleep(500);
                    }
                } catch (Throwable e) {
                    errors.add(e);
                    return;
                }
                batch++;
            }
        }, "proxy");
        proxy.start();
        Thread.sleep(2_000);
        FIXTURE.broker.stop();
        // longer than ingest's 10 s acknowledgement timeout: shorter outages are absorbed by waiting, this one is not
        Thread.sleep(14_000);
        FIXTURE.broker.start();
        Thread.sleep(3_000);
        sending.set(false);
        proxy.join(60_000);

        assertThat(errors).isEmpty();
        Set<String> published = new HashSet<>();
        for (ConsumerRecord<String, UsageEvent> record : FIXTURE.published(accepted.size(), Duration.ofSeconds(60))) {
            published.add(record.value().getEventId());
        }
        assertThat(published).containsAll(accepted);
        assertThat(unavailable.get()).isPositive();
        System.out.println("[reliability] scenario 4: broker down 14 s, " + unavailable.get() + " answers 503, " + accepted.size()
                + " events accepted, all of them in usage.events");
    }
}

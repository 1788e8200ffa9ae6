package io.llmmetering.local.faults;

import io.llmmetering.schemas.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * Records no producer of ours writes, on the topics the services consume: bytes that are not an Avro message,
 * and an Avro marker followed by a schema fingerprint nobody knows. Keys name no real user or model, so the
 * compacted topics keep every real value in force.
 */
final class PoisonRecords {

    /** Every topic a service of ours consumes. */
    static final List<String> CONSUMED_TOPICS = List.of(Topics.USAGE_EVENTS, Topics.CREDIT_DEBITS, Topics.PRICING_MODELS,
            Topics.CREDIT_ACCOUNTS);

    private static final List<byte[]> PAYLOADS = List.of(
            "{\"event_id\":\"not-avro\"}".getBytes(StandardCharsets.UTF_8),
            new byte[]{(byte) 0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 42},
            new byte[0]);

    private PoisonRecords() {
    }

    /** Writes one poison record to {@code topic} and returns its key. */
    static String send(ProcessPipeline pipeline, String topic, int variant) throws ExecutionException, InterruptedException {
        String key = "poison-record-" + variant;
        try (KafkaProducer<String, byte[]> producer = pipeline.kafka().producer(Map.of(), Map.of(ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, key, PAYLOADS.get(Math.floorMod(variant, PAYLOADS.size())))).get();
        }
        return key;
    }
}

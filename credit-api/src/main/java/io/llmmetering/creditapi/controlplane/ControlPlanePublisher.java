package io.llmmetering.creditapi.controlplane;

import io.llmmetering.schemas.AccountState;
import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.CreditAlert;
import io.llmmetering.schemas.ModelPrice;
import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.client.KafkaClients;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes what the topology must price with: account state to {@code credit.accounts} and model prices to
 * {@code pricing.models} (both compacted, keyed by user and model); and the API's own alerts to {@code credit.alerts}. Each publish waits for the broker's
 * acknowledgement, so the API can tell its caller whether the change has reached pricing. PostgreSQL stays
 * the record of truth for accounts: publishing the same state again is harmless.
 */
public final class ControlPlanePublisher implements AutoCloseable {

    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(5);

    private final KafkaProducer<String, byte[]> producer;
    private final AvroSerde<AccountState> accounts = AvroSerde.of(AccountState.class);
    private final AvroSerde<ModelPrice> prices = AvroSerde.of(ModelPrice.class);
    private final AvroSerde<CreditAlert> alerts = AvroSerde.of(CreditAlert.class);

    public ControlPlanePublisher(KafkaClients kafka) {
        this.producer = kafka.producer(Map.of(
                        ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) ACK_TIMEOUT.toMillis(),
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) ACK_TIMEOUT.toMillis() * 2,
                        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) ACK_TIMEOUT.toMillis()),
                Map.of(ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                new StringSerializer(), new ByteArraySerializer());
    }

    public void publish(AccountState state) throws PublishFailedException {
        send(Topics.CREDIT_ACCOUNTS, state.getUserId(), accounts.serialize(Topics.CREDIT_ACCOUNTS, state));
    }

    public void publish(ModelPrice price) throws PublishFailedException {
        send(Topics.PRICING_MODELS, price.getModel(), prices.serialize(Topics.PRICING_MODELS, price));
    }

    public void publish(CreditAlert alert) throws PublishFailedException {
        send(Topics.CREDIT_ALERTS, alert.getUserId(), alerts.serialize(Topics.CREDIT_ALERTS, alert));
    }

    private void send(String topic, String key, byte[] value) throws PublishFailedException {
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get(ACK_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PublishFailedException(topic, e);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            throw new PublishFailedException(topic, e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }

    /** Kafka did not acknowledge in time; the change is saved in PostgreSQL and publishing it again is safe. */
    public static final class PublishFailedException extends Exception {
        public PublishFailedException(String topic, Throwable cause) {
            super("could not publish to " + topic + ": " + cause, cause);
        }
    }
}

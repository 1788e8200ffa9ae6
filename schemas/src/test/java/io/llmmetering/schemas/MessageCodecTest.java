package io.llmmetering.schemas;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MessageCodecTest {

    private static final Instant T0 = Instant.parse("2026-11-25T10:15:30.123Z");
    private final MessageCodec<UsageEvent> usageCodec = MessageCodec.of(UsageEvent.class);

    static UsageEvent usageEvent() {
        return UsageEvent.newBuilder()
                .setEventId("req-123").setOccurredAt(T0).setUserId("test@example.com")
                .setProvider("openai").setModel("gpt-4o").setInputTokens(1200).setOutputTokens(350)
                .setCachedInputTokens(200).setPowerLevel("balanced").setMetadata(Map.of("team", "search"))
                .setSource("litellm").build();
    }

    static List<SpecificRecord> oneOfEachType() {
        return List.of(
                usageEvent(),
                Debit.newBuilder().setEventId("req-123").setUserId("u1").setAmountNanos(3_750_000L).setModel("gpt-4o")
                        .setProvider("openai").setInputTokens(1000).setOutputTokens(0).setPowerLevel("balanced")
                        .setTier("free").setOccurredAt(T0).setPricedAt(T0.plusMillis(5)).setPriceVersion("2025-11-01").build(),
                AccountState.newBuilder().setUserId("u1").setTier("professional").setMonthlyCapNanos(50_000_000_000L)
                        .setUpdatedAt(T0).build(),
                ModelPrice.newBuilder().setModel("gpt-4o").setProvider("openai").setInputPer1k("0.0025")
                        .setOutputPer1k("0.01").setVersion("v7").setEffectiveFrom(T0).build(),
                CreditAlert.newBuilder().setAlertId("u1:spend_spike:1").setUserId("u1").setKind("spend_spike")
                        .setObservedNanos(10).setThresholdNanos(5).setMessage("spend 10x baseline").setEmittedAt(T0).build());
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void everyRecordTypeRoundTrips() {
        for (SpecificRecord record : oneOfEachType()) {
            MessageCodec codec = MessageCodec.of(record.getClass());
            byte[] bytes = codec.encode(record);
            assertThat(codec.decode(bytes)).isEqualTo(record);
        }
    }

    @Test
    void messagesUseSingleObjectEncodingWithTheSchemaFingerprint() {
        byte[] bytes = usageCodec.encode(usageEvent());
        assertThat(bytes[0]).isEqualTo((byte) 0xC3);
        assertThat(bytes[1]).isEqualTo((byte) 0x01);
        long fingerprint = java.nio.ByteBuffer.wrap(bytes, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(fingerprint).isEqualTo(org.apache.avro.SchemaNormalization.parsingFingerprint64(UsageEvent.getClassSchema()));
    }

    @Test
    void aMessageWrittenWithTheFirstUsageEventSchemaStillDecodes() throws Exception {
        Schema v1;
        try (InputStream in = KnownSchemas.class.getResourceAsStream("history/UsageEvent-v1.avsc")) {
            v1 = new Schema.Parser().parse(in);
        }
        GenericRecord old = new GenericData.Record(v1);
        old.put("event_id", "old-1");
        old.put("occurred_at", T0.toEpochMilli());
        old.put("user_id", "u1");
        old.put("provider", "anthropic");
        old.put("model", "claude-sonnet-4-5");
        old.put("input_tokens", 10L);
        old.put("output_tokens", 20L);
        old.put("power_level", null);
        old.put("metadata", Map.of("k", "v"));
        byte[] bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();

        UsageEvent decoded = usageCodec.decode(bytes);

        assertThat(decoded.getEventId()).isEqualTo("old-1");
        assertThat(decoded.getOccurredAt()).isEqualTo(T0);
        assertThat(decoded.getModel()).isEqualTo("claude-sonnet-4-5");
        assertThat(decoded.getInputTokens()).isEqualTo(10L);
        assertThat(decoded.getCachedInputTokens()).isZero();
        assertThat(decoded.getSource()).isEqualTo("unknown");
        assertThat(decoded.getIngestKeyId()).isNull();
        assertThat(decoded.getMetadata()).containsEntry("k", "v");
    }

    @Test
    void jsonBytesAreABadHeader() {
        byte[] json = "{\"event_id\":\"x\"}".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> usageCodec.decode(json))
                .isInstanceOfSatisfying(UndecodableMessageException.class,
                        e -> assertThat(e.reason()).isEqualTo(UndecodableMessageException.Reason.BAD_HEADER))
                .hasMessageContaining("not an Avro single-object message");
    }

    @Test
    void emptyAndTooShortMessagesAreABadHeader() {
        assertThatThrownBy(() -> usageCodec.decode(new byte[0])).isInstanceOf(UndecodableMessageException.class);
        assertThatThrownBy(() -> usageCodec.decode(new byte[]{(byte) 0xC3, 0x01, 1, 2})).isInstanceOf(UndecodableMessageException.class);
    }

    @Test
    @Tag("security")
    void anUnknownFingerprintIsNamedInTheError() {
        byte[] bytes = usageCodec.encode(usageEvent());
        bytes[5] ^= 0x5A;
        assertThatThrownBy(() -> usageCodec.decode(bytes))
                .isInstanceOfSatisfying(UndecodableMessageException.class,
                        e -> assertThat(e.reason()).isEqualTo(UndecodableMessageException.Reason.UNKNOWN_SCHEMA))
                .hasMessageContaining("fingerprint");
    }

    @Test
    @Tag("security")
    void aDebitReadAsAUsageEventIsTheWrongType() {
        byte[] debit = MessageCodec.of(Debit.class).encode((Debit) oneOfEachType().get(1));
        assertThatThrownBy(() -> usageCodec.decode(debit))
                .isInstanceOfSatisfying(UndecodableMessageException.class,
                        e -> assertThat(e.reason()).isEqualTo(UndecodableMessageException.Reason.WRONG_TYPE))
                .hasMessageContaining("io.llmmetering.schemas.Debit");
    }

    @Test
    @Tag("security")
    void aTruncatedBodyIsCorrupt() {
        byte[] bytes = usageCodec.encode(usageEvent());
        byte[] truncated = Arrays.copyOf(bytes, bytes.length - 20);
        assertThatThrownBy(() -> usageCodec.decode(truncated))
                .isInstanceOfSatisfying(UndecodableMessageException.class,
                        e -> assertThat(e.reason()).isEqualTo(UndecodableMessageException.Reason.CORRUPT_BODY));
    }

    @Test
    void decodeFailuresAreKafkaSerializationExceptions() {
        assertThatThrownBy(() -> usageCodec.decode(new byte[]{1, 2, 3}))
                .isInstanceOf(org.apache.kafka.common.errors.SerializationException.class);
    }

    @Test
    void aRecordMissingARequiredFieldDoesNotEncode() {
        UsageEvent incomplete = usageEvent();
        incomplete.setModel(null);
        assertThatThrownBy(() -> usageCodec.encode(incomplete)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void serdeLeavesTombstonesAlone() {
        AvroSerde<AccountState> serde = AvroSerde.of(AccountState.class);
        assertThat(serde.serialize("credit.accounts", null)).isNull();
        assertThat(serde.deserialize("credit.accounts", null)).isNull();
    }

    @Test
    void serdeRoundTripsThroughKafkasInterfaces() {
        AvroSerde<UsageEvent> serde = AvroSerde.of(UsageEvent.class);
        byte[] bytes = serde.serializer().serialize(Topics.USAGE_EVENTS, usageEvent());
        assertThat(serde.deserializer().deserialize(Topics.USAGE_EVENTS, bytes)).isEqualTo(usageEvent());
    }

    @Test
    void everyCurrentAndHistoricSchemaIsKnown() {
        assertThat(KnownSchemas.instance().size()).isEqualTo(KnownSchemas.CURRENT.size() + 1);
    }
}

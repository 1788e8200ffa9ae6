package io.llmmetering.schemas;

import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;

/**
 * Encodes and decodes one record type with Avro's single-object encoding: the marker {@code C3 01}, the
 * writer schema's 64-bit fingerprint (little-endian), then the binary body. A reader resolves any known
 * older version of its type to the current one; anything else fails with a specific
 * {@link UndecodableMessageException}. Thread-safe.
 */
public final class MessageCodec<T extends SpecificRecord> {

    private static final byte MARKER_0 = (byte) 0xC3;
    private static final byte MARKER_1 = (byte) 0x01;
    private static final int HEADER_LENGTH = 10;

    static {
        // Avro 1.12 refuses to instantiate classes it has not been told to trust; trust our generated
        // record classes by name, nothing wider, so a crafted schema cannot make it load anything else.
        ClassSecurityValidator.Builder ours = ClassSecurityValidator.builder();
        KnownSchemas.CURRENT.forEach(schema -> ours.add(schema.getFullName()));
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(), ours.build()));
    }

    private final Class<T> type;
    private final Schema schema;
    private final KnownSchemas knownSchemas;
    private final BinaryMessageEncoder<T> encoder;
    private final BinaryMessageDecoder<T> decoder;

    private MessageCodec(Class<T> type, KnownSchemas knownSchemas) {
        this.type = type;
        this.knownSchemas = knownSchemas;
        SpecificData model = SpecificData.getForClass(type);
        this.schema = model.getSchema(type);
        this.encoder = new BinaryMessageEncoder<>(model, schema);
        this.decoder = new BinaryMessageDecoder<>(model, schema, knownSchemas);
    }

    public static <T extends SpecificRecord> MessageCodec<T> of(Class<T> type) {
        return new MessageCodec<>(type, KnownSchemas.instance());
    }

    public Class<T> type() {
        return type;
    }

    public byte[] encode(T record) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(128);
            encoder.encode(record, out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NullPointerException | ClassCastException | AvroRuntimeException e) {
            throw new IllegalArgumentException("cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    public T decode(byte[] bytes) {
        if (bytes == null || bytes.length < HEADER_LENGTH || bytes[0] != MARKER_0 || bytes[1] != MARKER_1) {
            throw new UndecodableMessageException(UndecodableMessageException.Reason.BAD_HEADER,
                    "not an Avro single-object message (" + describe(bytes) + ")", null);
        }
        long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Schema writer = knownSchemas.find(fingerprint).orElseThrow(() -> new UndecodableMessageException(
                UndecodableMessageException.Reason.UNKNOWN_SCHEMA,
                "schema fingerprint " + Long.toHexString(fingerprint) + " is not a known version of any of our schemas", null));
        if (!writer.getFullName().equals(schema.getFullName())) {
            throw new UndecodableMessageException(UndecodableMessageException.Reason.WRONG_TYPE,
                    "message is a " + writer.getFullName() + ", expected " + schema.getFullName(), null);
        }
        try {
            return decoder.decode(bytes);
        } catch (IOException | RuntimeException e) {
            throw new UndecodableMessageException(UndecodableMessageException.Reason.CORRUPT_BODY,
                    "body of " + schema.getName() + " message does not decode: " + e.getMessage(), e);
        }
    }

    private static String describe(byte[] bytes) {
        if (bytes == null) {
            return "null";
        }
        int shown = Math.min(bytes.length, 8);
        return bytes.length + " bytes starting " + HexFormat.of().formatHex(bytes, 0, shown);
    }
}

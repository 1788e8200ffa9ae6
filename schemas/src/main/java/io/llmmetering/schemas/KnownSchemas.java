package io.llmmetering.schemas;

import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.SchemaStore;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Every schema a message on our topics may have been written with: the current version of each record
 * type plus the older versions kept under {@code history/}. Looked up by the 64-bit parsing fingerprint that
 * Avro's single-object encoding puts in each message, so no schema registry is needed.
 */
public final class KnownSchemas implements SchemaStore {

    /** The current schema of each record type published on a topic. */
    public static final List<Schema> CURRENT = List.of(
            UsageEvent.getClassSchema(), Debit.getClassSchema(), AccountState.getClassSchema(),
            ModelPrice.getClassSchema(), CreditAlert.getClassSchema());

    private static final KnownSchemas INSTANCE = new KnownSchemas(Stream.concat(CURRENT.stream(), history().stream()).toList());

    private final Map<Long, Schema> byFingerprint;

    KnownSchemas(List<Schema> schemas) {
        this.byFingerprint = schemas.stream()
                .collect(Collectors.toUnmodifiableMap(SchemaNormalization::parsingFingerprint64, Function.identity(), (a, b) -> a));
    }

    public static KnownSchemas instance() {
        return INSTANCE;
    }

    @Override
    public Schema findByFingerprint(long fingerprint) {
        return byFingerprint.get(fingerprint);
    }

    public Optional<Schema> find(long fingerprint) {
        return Optional.ofNullable(byFingerprint.get(fingerprint));
    }

    public int size() {
        return byFingerprint.size();
    }

    private static List<Schema> history() {
        try (InputStream index = KnownSchemas.class.getResourceAsStream("history/index.txt")) {
            if (index == null) {
                return List.of();
            }
            List<String> names = new BufferedReader(new InputStreamReader(index, StandardCharsets.UTF_8)).lines()
                    .map(String::strip).filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
            return names.stream().map(KnownSchemas::readHistoric).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Schema readHistoric(String name) {
        try (InputStream in = KnownSchemas.class.getResourceAsStream("history/" + name)) {
            if (in == null) {
                throw new IllegalStateException("schema history lists " + name + " but the file is missing");
            }
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

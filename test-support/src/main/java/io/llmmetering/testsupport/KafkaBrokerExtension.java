package io.llmmetering.testsupport;

import io.llmmetering.kafka.embedded.EmbeddedKafkaBroker;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands tests a real KRaft broker running in this JVM. One broker is shared by every test class of a
 * module's test run (it starts in a few seconds, and once), and stopped when the run ends. Tests isolate
 * themselves by topic name. Use it as {@code @ExtendWith(KafkaBrokerExtension.class)} and take an
 * {@link EmbeddedKafkaBroker} parameter.
 */
public final class KafkaBrokerExtension implements ParameterResolver {

    private static final String KEY = "llmmetering.shared-kafka-broker";

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == EmbeddedKafkaBroker.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return sharedBroker(context);
    }

    /** The module-wide broker, started on first use. */
    public static EmbeddedKafkaBroker sharedBroker(ExtensionContext context) {
        ExtensionContext.Store store = context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL);
        return store.computeIfAbsent(KEY, key -> new ClosingBroker(EmbeddedKafkaBroker.builder().build().start()),
                ClosingBroker.class).broker();
    }

    private record ClosingBroker(EmbeddedKafkaBroker broker) implements AutoCloseable {
        @Override
        public void close() {
            broker.close();
        }
    }
}

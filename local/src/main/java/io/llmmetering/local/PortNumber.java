package io.llmmetering.local;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A port option's value: 1-65534, so the port after it (Kafka's controller) is a port too. */
public final class PortNumber implements ITypeConverter<Integer> {

    @Override
    public Integer convert(String value) {
        try {
            int port = Integer.parseInt(value);
            if (port >= 1 && port <= 65_534) {
                return port;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new TypeConversionException("must be a port number (1-65534), was '" + value + "'");
    }
}

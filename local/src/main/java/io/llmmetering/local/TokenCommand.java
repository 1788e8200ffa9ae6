package io.llmmetering.local;

import io.llmmetering.creditapi.auth.TokenIssuer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code java -jar local/target/metering-local.jar token --user ID [--admin | --service] [--ttl 8h] [--data-dir DIR]}:
 * prints a token the local credit-api accepts, signed with the local secret, for trying the seed's curl commands.
 */
@Command(name = "token", sortOptions = false, description = "Print a token the local credit-api accepts, signed with the local system's secret.")
final class TokenCommand implements Callable<Integer> {

    private static final int LONGEST_USER_ID = 255;
    private static final Duration LONGEST_LIFETIME = Duration.ofDays(365);

    private final Map<String, String> environment;
    @Spec
    private CommandSpec spec;
    @Option(names = "--user", paramLabel = "ID", required = true, description = "the token's subject: the user id whose account it reaches")
    private String user;
    @ArgGroup(exclusive = true)
    private Role role = new Role();
    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "8h", converter = Lifetime.class,
            description = "how long it is valid, e.g. 30m, 8h, 7d (default ${DEFAULT-VALUE}, at most 365d)")
    private Duration ttl;
    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data",
            description = "the local system's data directory, where its signing secret lives (default ./${DEFAULT-VALUE})")
    private Path dataDir;

    /** A token is a user's, an admin's or a proxy's: at most one of the two flags. */
    static final class Role {
        @Option(names = "--admin", description = "also grant the admin role")
        boolean admin;
        @Option(names = "--service", description = "a proxy's token: may place holds and check authorization for any user")
        boolean service;
    }

    TokenCommand(Map<String, String> environment) {
        this.environment = environment;
    }

    @Override
    public Integer call() {
        if (user.isBlank() || user.length() > LONGEST_USER_ID) {
            throw new ParameterException(spec.commandLine(), "--user must be 1-" + LONGEST_USER_ID + " characters");
        }
        TokenIssuer issuer;
        try {
            issuer = new TokenIssuer(LocalSecret.jwtSecret(dataDir.toAbsolutePath(), environment));
        } catch (IOException e) {
            spec.commandLine().getErr().println("cannot read or create the signing secret: " + e.getMessage());
            return 1;
        }
        spec.commandLine().getOut().println(role.admin ? issuer.admin(user, ttl) : role.service ? issuer.service(user, ttl) : issuer.user(user, ttl));
        return 0;
    }

    /** {@code --ttl}: a count of seconds, minutes, hours or days, more than zero and at most a year. */
    static final class Lifetime implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String text) {
            return duration(text);
        }
    }

    static Duration duration(String text) {
        if (text.matches("\\d{1,6}[smhd]")) {
            long amount = Long.parseLong(text.substring(0, text.length() - 1));
            Duration duration = switch (text.charAt(text.length() - 1)) {
                case 's' -> Duration.ofSeconds(amount);
                case 'm' -> Duration.ofMinutes(amount);
                case 'h' -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
            if (!duration.isZero() && duration.compareTo(LONGEST_LIFETIME) <= 0) {
                return duration;
            }
        }
        throw new TypeConversionException("must be like 30m, 8h or 7d (at most 365d), was '" + text + "'");
    }
}

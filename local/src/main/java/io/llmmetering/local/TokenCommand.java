package io.llmmetering.local;

import io.llmmetering.creditapi.auth.TokenIssuer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * {@code java -jar local/target/metering-local.jar token --user ID [--admin] [--ttl 8h] [--data-dir DIR]}: prints a
 * token the local credit-api accepts, signed with the local secret, for trying the seed's curl commands.
 */
final class TokenCommand {

    static final String USAGE = """
            usage: java -jar local/target/metering-local.jar token --user ID [--admin | --service] [--ttl DURATION] [--data-dir DIR]
              --user ID       the token's subject: the user id whose account it reaches
              --admin         also grant the admin role
              --service       a proxy's token: may place holds and check authorization for any user
              --ttl DURATION  how long it is valid, e.g. 30m, 8h, 7d (default 8h)
              --data-dir DIR  the local system's data directory, where its signing secret lives (default ./data)
            """;

    private TokenCommand() {
    }

    /** Returns the exit code. */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        String user = null;
        boolean admin = false;
        boolean service = false;
        Duration ttl = Duration.ofHours(8);
        Path dataDir = Path.of("data");
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--help", "-h" -> {
                        out.print(USAGE);
                        return 0;
                    }
                    case "--admin" -> admin = true;
                    case "--service" -> service = true;
                    case "--user" -> user = value(args, ++i, "--user");
                    case "--ttl" -> ttl = duration(value(args, ++i, "--ttl"));
                    case "--data-dir" -> dataDir = Path.of(value(args, ++i, "--data-dir"));
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (user == null || user.isBlank() || user.length() > 255) {
                throw new IllegalArgumentException("--user ID is required (1-255 characters)");
            }
            TokenIssuer issuer = new TokenIssuer(LocalSecret.jwtSecret(dataDir.toAbsolutePath(), env));
            if (admin && service) {
                throw new IllegalArgumentException("--admin and --service are different kinds of token: choose one");
            }
            out.println(admin ? issuer.admin(user, ttl) : service ? issuer.service(user, ttl) : issuer.user(user, ttl));
            return 0;
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (IOException e) {
            err.println("cannot read or create the signing secret: " + e.getMessage());
            return 1;
        }
    }

    /** The value after {@code flag}, for this jar's commands. */
    static String value(String[] args, int index, String flag) {
        if (index >= args.length) {
            throw new IllegalArgumentException("option " + flag + " needs a value");
        }
        return args[index];
    }

    static Duration duration(String text) {
        try {
            if (text.matches("\\d{1,6}[smhd]")) {
                long amount = Long.parseLong(text.substring(0, text.length() - 1));
                Duration duration = switch (text.charAt(text.length() - 1)) {
                    case 's' -> Duration.ofSeconds(amount);
                    case 'm' -> Duration.ofMinutes(amount);
                    case 'h' -> Duration.ofHours(amount);
                    default -> Duration.ofDays(amount);
                };
                if (!duration.isZero() && duration.compareTo(Duration.ofDays(365)) <= 0) {
                    return duration;
                }
            }
            throw new DateTimeParseException("bad duration", text, 0);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("--ttl must be like 30m, 8h or 7d (at most 365d), was '" + text + "'");
        }
    }
}

package io.llmmetering.bench;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README and docs say what a newcomer types: every {@code java -jar} command they show must name a jar this
 * build makes and only subcommands and options its {@code --help} lists, and every relative link must lead to a
 * file. This module is built last, so every jar's main class is on its test class path.
 */
class DocumentationTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    /** Each jar the docs may run, and its main class (the modules' poms name the same). */
    private static final Map<String, String> JARS = Map.of(
            "local/target/metering-local.jar", "io.llmmetering.local.LocalLauncher",
            "migrations/target/metering-migrations.jar", "io.llmmetering.migrations.MigrationsCommand",
            "bench/target/metering-bench.jar", "io.llmmetering.bench.BenchCommand");
    private static final Pattern JAVA_JAR = Pattern.compile("java (?:-X\\S+ )*-jar (\\S+\\.jar)((?: [a-z][a-z-]*| --?[a-z][a-z-]*(?: (?!--)[^\\s`|\\]\\[]+)?)*)");
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)#\\s]+)(#[^)]*)?\\)");

    private static List<Path> documents() throws IOException {
        List<Path> documents = new ArrayList<>(List.of(ROOT.resolve("README.md"), ROOT.resolve("BENCHMARKS.md"),
                ROOT.resolve("RELIABILITY.md"), ROOT.resolve("SCALING.md")));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(documents::add);
        }
        return documents;
    }

    @Test
    void everyRelativeLinkLeadsToAFile() throws IOException {
        for (Path document : documents()) {
            Matcher link = LINK.matcher(Files.readString(document));
            while (link.find()) {
                String target = link.group(1);
                if (target.startsWith("http://") || target.startsWith("https://") || target.startsWith("mailto:")) {
                    continue;
                }
                assertThat(document.getParent().resolve(target).normalize()).as(ROOT.relativize(document) + " links " + target).exists();
            }
        }
    }

    /** Issue 19's measure of a readable codebase: the path of a credit fits in eight files a reader can open. */
    @Test
    void theReadmesMoneyPathNamesAtMostEightFilesThatExist() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        String map = readme.substring(readme.indexOf("## The money path"), readme.indexOf("## Documentation"));
        Matcher file = Pattern.compile("(?m)^\\d+\\. `([a-z-]+)/\\.\\.\\./(\\S+\\.java)`").matcher(map);
        List<String> files = new ArrayList<>();
        while (file.find()) {
            String module = file.group(1);
            String suffix = "/" + file.group(2);
            try (Stream<Path> sources = Files.walk(ROOT.resolve(module).resolve("src/main/java"))) {
                assertThat(sources.filter(p -> p.toString().endsWith(suffix)).count()).as(module + "/..." + suffix).isEqualTo(1);
            }
            files.add(file.group(2));
        }
        assertThat(files).hasSizeBetween(5, 8).doesNotHaveDuplicates();
    }

    @Test
    void everyJarCommandTheDocsShowIsOneTheJarKnows() throws Exception {
        int commands = 0;
        for (Path document : documents()) {
            Matcher command = JAVA_JAR.matcher(Files.readString(document));
            while (command.find()) {
                String jar = command.group(1);
                String where = ROOT.relativize(document) + ": " + command.group();
                assertThat(JARS).as(where).containsKey(jar);
                String[] words = command.group(2).trim().split(" ");
                String help = help(JARS.get(jar), words);
                for (String word : words) {
                    if (word.matches("[a-z][a-z-]*") || word.startsWith("-")) {
                        assertThat(help).as(where + " (" + word + " is not in its --help)").contains(word);
                    }
                }
                commands++;
            }
        }
        assertThat(commands).as("java -jar commands found in the docs").isGreaterThan(10);
    }

    private static final Map<String, String> HELP = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * What {@code --help} prints for the command the docs' words name: the jar's own help, and that of each
     * subcommand the words start with ({@code prices import --help}), which lists the subcommand's options.
     */
    private static String help(String mainClass, String[] words) {
        StringBuilder help = new StringBuilder(help(List.of(mainClass)));
        List<String> command = new ArrayList<>(List.of(mainClass));
        for (String word : words) {
            if (!word.matches("[a-z][a-z-]*") || !help.toString().contains(word)) {
                break;
            }
            command.add(word);
            help.append(help(command));
        }
        return help.toString();
    }

    /** What {@code command --help} prints, from a JVM of its own (a main may call System.exit). */
    private static String help(List<String> command) {
        return HELP.computeIfAbsent(String.join(" ", command), key -> {
            try {
                List<String> line = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp", System.getProperty("java.class.path")));
                line.addAll(command);
                line.add("--help");
                Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
                String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(process.exitValue()).as(key + " --help: " + output).isZero();
                return output;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
    }
}

package io.llmmetering.migrations;

import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.Map;

/**
 * Gives a command-line option its default from an environment variable when that is set, before the default the
 * option declares. The environment is a map, not {@link System#getenv()}, so a test runs a command in an
 * environment of its own. Shared by this project's command-line tools (migrations, local, bench).
 *
 * @param variablesByOption the variable of each option, by its longest name ({@code --db-url})
 * @param environment       where the variables are read
 */
public record EnvironmentDefaults(Map<String, String> variablesByOption, Map<String, String> environment) implements IDefaultValueProvider {

    @Override
    public String defaultValue(ArgSpec argument) {
        if (argument instanceof OptionSpec option && variablesByOption.containsKey(option.longestName())) {
            return environment.get(variablesByOption.get(option.longestName()));
        }
        return null;
    }
}

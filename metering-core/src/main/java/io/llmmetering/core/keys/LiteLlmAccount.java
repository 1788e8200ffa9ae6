package io.llmmetering.core.keys;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * Which account a LiteLLM spend record bills, a setting of the ingest key the proxy sends it with: the user
 * (LiteLLM's key owner or end user, as before), the team the key belongs to, or the team when the record names no
 * user. A team is billed as the account {@code team:<team_id>}.
 */
public enum LiteLlmAccount {
    USER, TEAM, TEAM_WHEN_NO_USER;

    public static final String TEAM_PREFIX = "team:";

    /** The setting's name in the API and the database: {@code user}, {@code team}, {@code team_when_no_user}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<LiteLlmAccount> named(String name) {
        return Arrays.stream(values()).filter(value -> value.wireName().equals(name)).findFirst();
    }

    /** The account to bill, or null when the record names neither what this setting asks for. */
    public String account(String user, String teamId) {
        String team = teamId == null || teamId.isBlank() ? null : TEAM_PREFIX + teamId;
        return switch (this) {
            case USER -> user;
            case TEAM -> team;
            case TEAM_WHEN_NO_USER -> user != null ? user : team;
        };
    }
}

package io.llmmetering.creditapi.openrouter;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.jdbc.Transactions;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Users' OpenRouter API keys, stored as Fernet tokens under {@code ENCRYPTION_KEY} (readable by the seed's Python
 * system and by us), shown only masked. One active account per user; registering again rotates the key.
 */
public final class OpenRouterAccounts {

    private static final String OPEN_ACCOUNT = "INSERT INTO user_credits (user_id) VALUES (?) ON CONFLICT (user_id) DO NOTHING";
    /** Register or rotate: the partial unique index allows one account per user that is not revoked. */
    private static final String UPSERT = """
            INSERT INTO openrouter_accounts (user_id, openrouter_key_encrypted, key_label, credit_limit)
            VALUES (?, ?, ?, ?)
            ON CONFLICT (user_id) WHERE status <> 'revoked'
            DO UPDATE SET openrouter_key_encrypted = EXCLUDED.openrouter_key_encrypted, key_label = EXCLUDED.key_label,
                          credit_limit = EXCLUDED.credit_limit, status = 'active', updated_at = now()
            RETURNING id, created_at, updated_at
            """;
    private static final String FIND = """
            SELECT id, openrouter_key_encrypted, key_label, credit_limit, provider_reported_usage, status, last_synced_at, created_at, updated_at
              FROM openrouter_accounts WHERE user_id = ? AND status <> 'revoked'
            """;
    private static final String REVOKE = "UPDATE openrouter_accounts SET status = 'revoked', updated_at = now() WHERE user_id = ? AND status <> 'revoked'";
    private static final String ACTIVE = """
            SELECT user_id, openrouter_key_encrypted FROM openrouter_accounts WHERE status = 'active' ORDER BY last_synced_at NULLS FIRST, user_id
            """;
    private static final String SYNCED = """
            UPDATE openrouter_accounts SET provider_reported_usage = ?, last_synced_at = now(), updated_at = now()
             WHERE user_id = ? AND status = 'active'
            """;

    private final DataSource dataSource;
    private final FernetCipher cipher;

    public OpenRouterAccounts(DataSource dataSource, FernetCipher cipher) {
        this.dataSource = dataSource;
        this.cipher = cipher;
    }

    /** An account as shown: the key masked, never whole. */
    public record Account(UUID id, String userId, String maskedKey, Optional<String> label, Optional<Credits> creditLimit,
                          Credits providerReportedUsage, String status, Optional<Instant> lastSyncedAt, Instant createdAt, Instant updatedAt) {
    }

    /** A registered key, decrypted for a call to the provider; never logged. */
    public record Credential(String userId, String apiKey) {
        @Override
        public String toString() {
            return "Credential[userId=" + userId + ", apiKey=" + mask(apiKey) + "]";
        }
    }

    public Account register(String userId, String apiKey, Optional<String> label, Optional<Credits> creditLimit) throws SQLException {
        Transactions.inTransaction(dataSource, connection -> {
            try (PreparedStatement open = connection.prepareStatement(OPEN_ACCOUNT)) {
                open.setString(1, userId);
                open.executeUpdate();
            }
            try (PreparedStatement upsert = connection.prepareStatement(UPSERT)) {
                upsert.setString(1, userId);
                upsert.setString(2, cipher.encrypt(apiKey));
                upsert.setString(3, label.orElse(null));
                if (creditLimit.isPresent()) {
                    upsert.setBigDecimal(4, creditLimit.get().toBigDecimal());
                } else {
                    upsert.setNull(4, Types.NUMERIC);
                }
                upsert.executeQuery().close();
            }
            return null;
        });
        return find(userId).orElseThrow();
    }

    public Optional<Account> find(String userId) throws SQLException {
        try (Connection connection = dataSource.getConnection(); PreparedStatement find = connection.prepareStatement(FIND)) {
            find.setString(1, userId);
            try (ResultSet row = find.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                String masked;
                try {
                    masked = mask(cipher.decrypt(row.getString(2)));
                } catch (FernetCipher.InvalidTokenException e) {
                    masked = "(not decryptable with the current ENCRYPTION_KEY)";
                }
                return Optional.of(new Account(row.getObject(1, UUID.class), userId, masked, Optional.ofNullable(row.getString(3)),
                        Optional.ofNullable(row.getBigDecimal(4)).map(Credits::ofExact), Credits.ofExact(row.getBigDecimal(5)), row.getString(6),
                        Optional.ofNullable(row.getTimestamp(7)).map(Timestamp::toInstant), row.getTimestamp(8).toInstant(),
                        row.getTimestamp(9).toInstant()));
            }
        }
    }

    /** True when there was an account to revoke. */
    public boolean revoke(String userId) throws SQLException {
        try (Connection connection = dataSource.getConnection(); PreparedStatement revoke = connection.prepareStatement(REVOKE)) {
            revoke.setString(1, userId);
            return revoke.executeUpdate() > 0;
        }
    }

    /** The active accounts' keys, least recently synced first; a key the current ENCRYPTION_KEY cannot read is skipped. */
    public List<Credential> activeCredentials() throws SQLException {
        List<Credential> credentials = new ArrayList<>();
        try (Connection connection = dataSource.getConnection(); PreparedStatement active = connection.prepareStatement(ACTIVE);
             ResultSet row = active.executeQuery()) {
            while (row.next()) {
                try {
                    credentials.add(new Credential(row.getString(1), cipher.decrypt(row.getString(2))));
                } catch (FernetCipher.InvalidTokenException e) {
                    org.slf4j.LoggerFactory.getLogger(OpenRouterAccounts.class)
                            .warn("openrouter key not decryptable with the current ENCRYPTION_KEY user={}", row.getString(1));
                }
            }
        }
        return credentials;
    }

    public void recordSync(String userId, Credits providerReportedUsage) throws SQLException {
        try (Connection connection = dataSource.getConnection(); PreparedStatement synced = connection.prepareStatement(SYNCED)) {
            synced.setBigDecimal(1, providerReportedUsage.toBigDecimal());
            synced.setString(2, userId);
            synced.executeUpdate();
        }
    }

    /** {@code sk-or-v1-4f2a…2a1f}: enough to recognise a key, not to use it. */
    static String mask(String key) {
        if (key.length() <= 16) {
            return "…" + key.substring(Math.max(0, key.length() - 2));
        }
        return key.substring(0, 12) + "…" + key.substring(key.length() - 4);
    }
}

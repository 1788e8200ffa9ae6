package io.llmmetering.creditapi.ingestkeys;

import io.llmmetering.core.keys.IngestApiKeys;
import io.llmmetering.core.keys.LiteLlmAccount;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Ingest API keys for proxies. A new key is returned once and only its SHA-256 is stored; listings show the
 * public prefix. Revocation takes effect at usage-ingest within its key cache's lifetime (5 seconds).
 */
public final class IngestKeyAdmin {

    private static final String CREATE = """
            INSERT INTO ingest_api_keys (key_prefix, key_hash, name, source, created_by, litellm_account) VALUES (?, ?, ?, ?, ?, ?)
            RETURNING id, created_at
            """;
    private static final String LIST = """
            SELECT id, key_prefix, name, source, created_by, created_at, last_used_at, revoked_at, litellm_account
              FROM ingest_api_keys WHERE (? OR revoked_at IS NULL) ORDER BY created_at DESC, id DESC LIMIT 1000
            """;
    private static final String REVOKE = "UPDATE ingest_api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = ?";

    private final DataSource dataSource;

    public IngestKeyAdmin(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** @param key the whole key: shown to the admin once, never stored */
    public record CreatedKey(UUID id, String key, String name, String source, LiteLlmAccount liteLlmAccount, Instant createdAt) {
    }

    public record ListedKey(UUID id, String prefix, String name, String source, LiteLlmAccount liteLlmAccount, Optional<String> createdBy,
                            Instant createdAt, Optional<Instant> lastUsedAt, Optional<Instant> revokedAt) {
    }

    public CreatedKey create(String name, String source, LiteLlmAccount liteLlmAccount, String createdBy) throws SQLException {
        String key = IngestApiKeys.generate();
        try (Connection connection = dataSource.getConnection(); PreparedStatement insert = connection.prepareStatement(CREATE)) {
            insert.setString(1, IngestApiKeys.prefixOf(key));
            insert.setBytes(2, IngestApiKeys.sha256(key));
            insert.setString(3, name);
            insert.setString(4, source);
            insert.setString(5, createdBy);
            insert.setString(6, liteLlmAccount.wireName());
            try (ResultSet row = insert.executeQuery()) {
                row.next();
                return new CreatedKey(row.getObject(1, UUID.class), key, name, source, liteLlmAccount, row.getTimestamp(2).toInstant());
            }
        }
    }

    public List<ListedKey> list(boolean includeRevoked) throws SQLException {
        try (Connection connection = dataSource.getConnection(); PreparedStatement list = connection.prepareStatement(LIST)) {
            list.setBoolean(1, includeRevoked);
            List<ListedKey> keys = new ArrayList<>();
            try (ResultSet row = list.executeQuery()) {
                while (row.next()) {
                    keys.add(new ListedKey(row.getObject(1, UUID.class), row.getString(2), row.getString(3), row.getString(4),
                            LiteLlmAccount.named(row.getString(9)).orElseThrow(), Optional.ofNullable(row.getString(5)), row.getTimestamp(6).toInstant(),
                            Optional.ofNullable(row.getTimestamp(7)).map(Timestamp::toInstant),
                            Optional.ofNullable(row.getTimestamp(8)).map(Timestamp::toInstant)));
                }
            }
            return keys;
        }
    }

    /** True when a key with this id exists (revoking twice is fine). */
    public boolean revoke(UUID id) throws SQLException {
        try (Connection connection = dataSource.getConnection(); PreparedStatement revoke = connection.prepareStatement(REVOKE)) {
            revoke.setObject(1, id);
            return revoke.executeUpdate() == 1;
        }
    }
}

package io.llmmetering.local;

import io.llmmetering.core.keys.IngestApiKeys;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/** Creates an ingest API key for trying the local system, stored as the admin endpoint stores keys: prefix and hash. */
public final class LocalIngestKey {

    private final String url;
    private final String user;

    public LocalIngestKey(String url, String user) {
        this.url = url;
        this.user = user;
    }

    public String create(String name, String source) throws SQLException {
        String key = IngestApiKeys.generate();
        try (Connection connection = DriverManager.getConnection(url, user, System.getenv().getOrDefault("METERING_DB_PASSWORD", ""));
             PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO ingest_api_keys (key_prefix, key_hash, name, source) VALUES (?, ?, ?, ?)")) {
            insert.setString(1, IngestApiKeys.prefixOf(key));
            insert.setBytes(2, IngestApiKeys.sha256(key));
            insert.setString(3, name);
            insert.setString(4, source);
            insert.executeUpdate();
        }
        return key;
    }
}

package io.llmmetering.local;

import io.llmmetering.usageingest.auth.IngestKeyAuthenticator;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HexFormat;

/** Creates an ingest API key for trying the local system, stored as the admin endpoint stores keys: prefix and hash. */
final class LocalIngestKey {

    private static final SecureRandom RANDOM = new SecureRandom();
    private final String url;
    private final String user;

    LocalIngestKey(String url, String user) {
        this.url = url;
        this.user = user;
    }

    String create(String name, String source) throws SQLException {
        byte[] secret = new byte[20];
        RANDOM.nextBytes(secret);
        String hex = HexFormat.of().formatHex(secret);
        String key = "mk_" + hex.substring(0, 12) + "_" + hex.substring(12);
        try (Connection connection = DriverManager.getConnection(url, user, System.getenv().getOrDefault("METERING_DB_PASSWORD", ""));
             PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO ingest_api_keys (key_prefix, key_hash, name, source) VALUES (?, ?, ?, ?)")) {
            insert.setString(1, IngestKeyAuthenticator.prefixOf(key));
            insert.setBytes(2, IngestKeyAuthenticator.sha256(key));
            insert.setString(3, name);
            insert.setString(4, source);
            insert.executeUpdate();
        }
        return key;
    }
}

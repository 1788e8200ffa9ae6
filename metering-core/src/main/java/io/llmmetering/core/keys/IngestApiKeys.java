package io.llmmetering.core.keys;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The format of ingest API keys: {@code mk_<12 hex>_<28 hex>}, 160 random bits. The first 15 characters are a
 * public prefix to find the key by (shown in listings); only the SHA-256 of the whole key is ever stored.
 */
public final class IngestApiKeys {

    public static final int PREFIX_LENGTH = 15; // "mk_" + 12 characters
    private static final SecureRandom RANDOM = new SecureRandom();

    private IngestApiKeys() {
    }

    public static String generate() {
        byte[] secret = new byte[20];
        RANDOM.nextBytes(secret);
        String hex = HexFormat.of().formatHex(secret);
        return "mk_" + hex.substring(0, 12) + "_" + hex.substring(12);
    }

    public static String prefixOf(String key) {
        return key.substring(0, PREFIX_LENGTH);
    }

    public static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

package io.llmmetering.creditapi.openrouter;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;

/**
 * Fernet (the token format of Python's {@code cryptography.fernet}), so provider keys the seed's Python system
 * encrypted with {@code ENCRYPTION_KEY} decrypt here and the other way round. A token is
 * {@code base64url(0x80 | timestamp | IV | AES-128-CBC(PKCS7) ciphertext | HMAC-SHA256)}; the key is
 * {@code base64url(16-byte signing key | 16-byte encryption key)}. The HMAC is checked, in constant time,
 * before anything is decrypted.
 */
public final class FernetCipher {

    private static final byte VERSION = (byte) 0x80;
    private static final int HEADER = 1 + 8 + 16;
    private static final int HMAC_LENGTH = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec signingKey;
    private final SecretKeySpec encryptionKey;
    private final Clock clock;

    public FernetCipher(String base64UrlKey) {
        this(base64UrlKey, Clock.systemUTC());
    }

    FernetCipher(String base64UrlKey, Clock clock) {
        byte[] key;
        try {
            key = Base64.getUrlDecoder().decode(base64UrlKey.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("ENCRYPTION_KEY is not a Fernet key (32 bytes, base64url)");
        }
        if (key.length != 32) {
            throw new IllegalArgumentException("ENCRYPTION_KEY is not a Fernet key (32 bytes, base64url)");
        }
        this.signingKey = new SecretKeySpec(Arrays.copyOfRange(key, 0, 16), "HmacSHA256");
        this.encryptionKey = new SecretKeySpec(Arrays.copyOfRange(key, 16, 32), "AES");
        this.clock = clock;
    }

    /** A new key, as {@code Fernet.generate_key()} makes them. */
    public static String generateKey() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return Base64.getUrlEncoder().encodeToString(key);
    }

    public String encrypt(String plaintext) {
        byte[] iv = new byte[16];
        RANDOM.nextBytes(iv);
        try {
            Cipher aes = Cipher.getInstance("AES/CBC/PKCS5Padding");
            aes.init(Cipher.ENCRYPT_MODE, encryptionKey, new IvParameterSpec(iv));
            byte[] ciphertext = aes.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            ByteBuffer token = ByteBuffer.allocate(HEADER + ciphertext.length + HMAC_LENGTH);
            token.put(VERSION).putLong(clock.instant().getEpochSecond()).put(iv).put(ciphertext);
            token.put(hmac(token.array(), HEADER + ciphertext.length));
            return Base64.getUrlEncoder().encodeToString(token.array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES is not available", e);
        }
    }

    /** The plaintext of a token made with this key; fails with {@link InvalidTokenException} for anything else. */
    public String decrypt(String token) {
        byte[] data;
        try {
            data = Base64.getUrlDecoder().decode(token.strip());
        } catch (IllegalArgumentException e) {
            throw new InvalidTokenException("not base64url");
        }
        if (data.length < HEADER + 16 + HMAC_LENGTH || data[0] != VERSION || (data.length - HEADER - HMAC_LENGTH) % 16 != 0) {
            throw new InvalidTokenException("not a Fernet token");
        }
        int signed = data.length - HMAC_LENGTH;
        if (!MessageDigest.isEqual(hmac(data, signed), Arrays.copyOfRange(data, signed, data.length))) {
            throw new InvalidTokenException("signature does not match this key");
        }
        try {
            Cipher aes = Cipher.getInstance("AES/CBC/PKCS5Padding");
            aes.init(Cipher.DECRYPT_MODE, encryptionKey, new IvParameterSpec(data, 9, 16));
            return new String(aes.doFinal(data, HEADER, signed - HEADER), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw new InvalidTokenException("cannot be decrypted");
        }
    }

    private byte[] hmac(byte[] data, int length) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(signingKey);
            mac.update(data, 0, length);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    /** The token is not one this key made (tampered, truncated, another key). Never carries the token itself. */
    public static final class InvalidTokenException extends RuntimeException {
        InvalidTokenException(String why) {
            super("invalid Fernet token: " + why, null, false, false);
        }
    }
}

package io.llmmetering.creditapi.openrouter;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Tag("security")
class FernetCipherTest {

    /** Made by Python: Fernet(KEY).encrypt(b'sk-or-v1-4f2a...2a1f') with cryptography 48.0.0. */
    private static final String PYTHON_KEY = "cw_0x689RpI-jtRR7oE8h_eQsKImvJ8lJx2ke7XmKnQ=";
    private static final String PYTHON_TOKEN = "gAAAAABrBxqUqRGOtps5s2EOLmVX3DuLSpQ9gzeV-oQuQcyqXeHBDtgNsEPLCeRFmY9_lHISLjtf9G37XAlwq3HDIb0Vz"
            + "thjxNTAvIUpKmn9B6gFV7zrxJGvzV7MP6XgNJTe_5982UBrjBv7Dll_HJ8bGDG1WLI8Tye6gq0z0BbaDpsjLgndAX8=";
    private static final String PLAINTEXT = "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";

    @Test
    void aTokenMadeByPythonsCryptographyFernetDecrypts() {
        assertThat(new FernetCipher(PYTHON_KEY).decrypt(PYTHON_TOKEN)).isEqualTo(PLAINTEXT);
    }

    @Test
    void ourTokensRoundTripAndHaveFernetsLayout() {
        FernetCipher cipher = new FernetCipher(PYTHON_KEY);
        String token = cipher.encrypt(PLAINTEXT);
        assertThat(token).startsWith("gAAAAA");
        assertThat(cipher.decrypt(token)).isEqualTo(PLAINTEXT);
        assertThat(cipher.encrypt(PLAINTEXT)).isNotEqualTo(token); // a fresh IV every time
        byte[] raw = Base64.getUrlDecoder().decode(token);
        assertThat(raw[0]).isEqualTo((byte) 0x80);
        assertThat((raw.length - 1 - 8 - 16 - 32) % 16).isZero();
    }

    @Test
    void aTamperedTruncatedOrForeignTokenIsRefusedWithoutSayingWhatItHeld() {
        FernetCipher cipher = new FernetCipher(PYTHON_KEY);
        byte[] raw = Base64.getUrlDecoder().decode(PYTHON_TOKEN);
        raw[30] ^= 1;
        assertThatThrownBy(() -> cipher.decrypt(Base64.getUrlEncoder().encodeToString(raw)))
                .isInstanceOf(FernetCipher.InvalidTokenException.class).hasMessageContaining("signature");
        assertThatThrownBy(() -> cipher.decrypt(PYTHON_TOKEN.substring(0, 60))).isInstanceOf(FernetCipher.InvalidTokenException.class);
        assertThatThrownBy(() -> cipher.decrypt("not a token!")).isInstanceOf(FernetCipher.InvalidTokenException.class);
        assertThatThrownBy(() -> new FernetCipher(FernetCipher.generateKey()).decrypt(PYTHON_TOKEN))
                .isInstanceOf(FernetCipher.InvalidTokenException.class).hasMessageNotContaining(PLAINTEXT);
    }

    @Test
    void aKeyThatIsNotAFernetKeyIsRefused() {
        assertThatThrownBy(() -> new FernetCipher("short")).hasMessageContaining("Fernet key");
        assertThatThrownBy(() -> new FernetCipher("***")).hasMessageContaining("Fernet key");
        assertThat(Base64.getUrlDecoder().decode(FernetCipher.generateKey())).hasSize(32);
    }
}

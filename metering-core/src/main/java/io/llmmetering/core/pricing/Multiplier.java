package io.llmmetering.core.pricing;

import java.math.BigDecimal;

final class Multiplier {
    private Multiplier() {
    }

    static BigDecimal requirePositive(String what, BigDecimal multiplier) {
        if (multiplier == null || multiplier.signum() <= 0) {
            throw new IllegalArgumentException(what + " multiplier must be positive, was " + multiplier);
        }
        return multiplier.stripTrailingZeros();
    }

    static String requireName(String what, String name) {
        if (name == null || !name.matches("[a-z][a-z0-9_-]{0,31}")) {
            throw new IllegalArgumentException(what + " name must be lower-case letters, digits, '_' or '-', was '" + name + "'");
        }
        return name;
    }
}

package io.llmmetering.creditapi.web;

import io.llmmetering.core.money.Credits;
import io.llmmetering.core.money.InvalidAmountException;

import java.math.BigDecimal;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Validation of what callers send, with problem details that name the field. Amounts are exact decimals:
 * positive, at most nine decimal places (a nano-credit), at most a billion credits per operation.
 */
final class Inputs {

    static final BigDecimal MAX_AMOUNT = BigDecimal.valueOf(1_000_000_000L);
    private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_-]{0,31}");

    private Inputs() {
    }

    static Credits positiveAmount(String field, BigDecimal amount) {
        if (amount != null && amount.signum() <= 0) {
            throw ApiProblem.validation(field, field + " must be positive");
        }
        return amount(field, amount, "at most " + MAX_AMOUNT.toPlainString());
    }

    /** An amount of either sign, not zero (an adjustment): at most a billion credits either way. */
    static Credits nonZeroAmount(String field, BigDecimal amount) {
        if (amount != null && amount.signum() == 0) {
            throw ApiProblem.validation(field, field + " must not be zero");
        }
        return amount(field, amount, "between -" + MAX_AMOUNT.toPlainString() + " and " + MAX_AMOUNT.toPlainString());
    }

    private static Credits amount(String field, BigDecimal amount, String range) {
        if (amount == null) {
            throw ApiProblem.validation(field, field + " is required");
        }
        if (amount.abs().compareTo(MAX_AMOUNT) > 0) {
            throw ApiProblem.validation(field, field + " must be " + range);
        }
        try {
            return Credits.ofExact(amount);
        } catch (InvalidAmountException e) {
            throw ApiProblem.validation(field, field + " has more than 9 decimal places (the smallest unit is 0.000000001)");
        }
    }

    /** A user id as accounts store it: 1-255 characters, no control characters. */
    static String userId(String field, String userId) {
        if (userId == null || userId.isBlank()) {
            throw ApiProblem.validation(field, field + " is required");
        }
        if (userId.length() > 255 || userId.chars().anyMatch(Character::isISOControl)) {
            throw ApiProblem.validation(field, field + " must be 1-255 characters without control characters");
        }
        return userId;
    }

    static Optional<String> optionalText(String field, String text, int maxLength) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(requiredText(field, text, maxLength));
    }

    static String requiredText(String field, String text, int maxLength) {
        if (text == null || text.isBlank()) {
            throw ApiProblem.validation(field, field + " is required");
        }
        if (text.length() > maxLength || text.chars().anyMatch(c -> Character.isISOControl(c) && c != '\n' && c != '\t')) {
            throw ApiProblem.validation(field, field + " must be at most " + maxLength + " characters without control characters");
        }
        return text;
    }

    /** A tier or status name: lower case letters, digits, '-' and '_'. */
    static String name(String field, String value) {
        if (value == null || !NAME.matcher(value).matches()) {
            throw ApiProblem.validation(field, field + " must be a lower-case name such as 'professional'");
        }
        return value;
    }

    static Optional<String> idempotencyKey(String header) {
        return header == null ? Optional.empty() : Optional.of(key("Idempotency-Key", header));
    }

    /** A key a client chose (an Idempotency-Key, a payment's reference): 1-255 visible ASCII characters. */
    static String key(String field, String value) {
        if (value == null) {
            throw ApiProblem.validation(field, field + " is required");
        }
        if (!IDEMPOTENCY_KEY.matcher(value).matches()) {
            throw ApiProblem.validation(field, field + " must be 1-255 visible ASCII characters");
        }
        return value;
    }

    /** Money in answers: exact, plain notation, at least one decimal place ({@code 100.0}, {@code 0.00375}). */
    static BigDecimal amount(Credits credits) {
        BigDecimal value = credits.toBigDecimal().stripTrailingZeros();
        return value.scale() < 1 ? value.setScale(1) : value;
    }
}

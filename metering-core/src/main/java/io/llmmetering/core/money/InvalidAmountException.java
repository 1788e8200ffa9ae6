package io.llmmetering.core.money;

/** An amount of credits that cannot be represented exactly: not a number, out of range, or finer than a nano-credit. */
public final class InvalidAmountException extends IllegalArgumentException {
    public InvalidAmountException(String message) {
        super(message);
    }
}

package io.llmmetering.core.pricing;

/**
 * Tokens of one LLM call. {@code inputTokens} includes {@code cachedInputTokens}, as OpenAI's
 * {@code prompt_tokens} includes {@code cached_tokens}: the cached part is priced at the cached rate,
 * the rest at the input rate.
 */
public record TokenUsage(long inputTokens, long outputTokens, long cachedInputTokens) {

    /** Ten times the largest context window on sale today; anything above is a bug or an attack. */
    public static final long MAX_TOKENS_PER_CALL = 100_000_000L;

    public TokenUsage {
        requireCount("input_tokens", inputTokens);
        requireCount("output_tokens", outputTokens);
        requireCount("cached_input_tokens", cachedInputTokens);
        if (cachedInputTokens > inputTokens) {
            throw new InvalidUsageException("cached_input_tokens (" + cachedInputTokens
                    + ") exceeds input_tokens (" + inputTokens + ")");
        }
    }

    public static TokenUsage of(long inputTokens, long outputTokens) {
        return new TokenUsage(inputTokens, outputTokens, 0);
    }

    public long totalTokens() {
        return inputTokens + outputTokens;
    }

    static void requireCount(String name, long count) {
        if (count < 0) {
            throw new InvalidUsageException(name + " must not be negative, was " + count);
        }
        if (count > MAX_TOKENS_PER_CALL) {
            throw new InvalidUsageException(name + " must be at most " + MAX_TOKENS_PER_CALL + ", was " + count);
        }
    }
}

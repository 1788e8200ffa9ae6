package io.llmmetering.creditapi.balances;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.util.concurrent.CompletableFuture;

/** The script {@link BalanceCache} writes balances with, so that the cache never goes back to an older balance. */
final class PutIfNotOlder {

    /**
     * Stores each balance of a chunk unless Redis holds a newer version of it. KEYS: balance and version keys,
     * pair by pair. ARGV: the TTL in seconds, then balance and version, pair by pair. Returns how many it stored.
     * One script run per chunk of users: a script per user had cost Redis a script lookup and the client a
     * command per balance (about a fifth of the pipeline's Redis and applier CPU, bench e2e). The version is set
     * and its old value read in one command ({@code SET ... GET}), and put back in the rare case it was newer:
     * two commands a balance instead of three.
     */
    private static final String SCRIPT = """
            local stored = 0
            for i = 1, #KEYS, 2 do
              local previous = redis.call('SET', KEYS[i + 1], ARGV[i + 2], 'EX', ARGV[1], 'GET')
              if previous and tonumber(previous) > tonumber(ARGV[i + 2]) then
                redis.call('SET', KEYS[i + 1], previous, 'EX', ARGV[1])
              else
                redis.call('SET', KEYS[i], ARGV[i + 1], 'EX', ARGV[1])
                stored = stored + 1
              end
            end
            return stored
            """;

    /** The script's SHA-1, as Lettuce computes it: once, not per write (a racing first write computes it twice). */
    private static volatile String digest;

    private PutIfNotOlder() {
    }

    /**
     * Runs the script by its digest (Lettuce computes it, as Redis does); the first run after Redis restarted
     * without the script sends it whole.
     */
    static CompletableFuture<Long> run(RedisAsyncCommands<String, String> commands, String[] keys, String[] values) {
        if (digest == null) {
            digest = commands.digest(SCRIPT);
        }
        return commands.<Long>evalsha(digest, ScriptOutputType.INTEGER, keys, values).toCompletableFuture()
                .exceptionallyCompose(error -> error instanceof RedisNoScriptException || error.getCause() instanceof RedisNoScriptException
                        ? commands.<Long>eval(SCRIPT, ScriptOutputType.INTEGER, keys, values).toCompletableFuture()
                        : CompletableFuture.failedFuture(error));
    }
}

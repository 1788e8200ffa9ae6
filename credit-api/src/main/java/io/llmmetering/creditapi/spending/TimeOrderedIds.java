package io.llmmetering.creditapi.spending;

import java.util.UUID;

/**
 * Ids in time order, the layout of the database's {@code uuid_time_ordered()} (migration V9, UUID version 7: 48 bits
 * of Unix milliseconds, the version, then random bits), for the rows a batch writes with ids it chose: a batch's
 * holds and ledger rows then share a few leaves of their primary key instead of dirtying one random leaf each (and,
 * after a checkpoint, writing each whole to the WAL).
 */
final class TimeOrderedIds {

    private TimeOrderedIds() {
    }

    static UUID next() {
        UUID random = UUID.randomUUID();
        long mostSignificant = System.currentTimeMillis() << 16 | random.getMostSignificantBits() & 0x0FFFL | 0x7000L;
        return new UUID(mostSignificant, random.getLeastSignificantBits());
    }
}

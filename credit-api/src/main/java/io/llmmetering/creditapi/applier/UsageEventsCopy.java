package io.llmmetering.creditapi.applier;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * Writes a batch's usage events with one binary {@code COPY}: PostgreSQL takes each row's fields as they are
 * stored (timestamps as microseconds, the cost as a numeric, the counts as integers) instead of parsing text or
 * unnesting fourteen arrays. A COPY cannot skip rows already recorded, so it is the fast path only: a copy of an
 * event older than the topology's dedupe horizon makes it fail on the unique key, and the batch is then
 * recorded with {@code INSERT ... ON CONFLICT DO NOTHING} instead ({@link BatchApplier}). The batch's claims on
 * (user_id, event_id) go the same way, before its events.
 */
final class UsageEventsCopy {

    static final String COPY = """
            COPY usage_events (event_id, occurred_at, user_id, provider, model, input_tokens, output_tokens, cached_input_tokens,
                               power_level, tier, cost, price_version, source, priced_at)
            FROM STDIN (FORMAT binary)
            """;

    static final String COPY_CLAIMS = "COPY usage_event_claims (user_id, event_id, occurred_at) FROM STDIN (FORMAT binary)";

    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0};
    private static final short FIELDS = 14;
    private static final short CLAIM_FIELDS = 3;
    /** PostgreSQL's timestamps count microseconds from 2000-01-01T00:00:00Z. */
    private static final long POSTGRES_EPOCH_MILLIS = 946_684_800_000L;
    private static final int NUMERIC_DIGIT_BASE = 10_000;
    private static final short NUMERIC_POSITIVE = 0x0000;
    private static final short COST_SCALE = 9;

    private UsageEventsCopy() {
    }

    /** Copies every debit into usage_events; throws a unique violation if any was recorded before. */
    static void copy(Connection connection, List<LedgerDebit> debits) throws SQLException {
        copyIn(connection, COPY, encode(debits));
    }

    /** Claims every debit's (user_id, event_id); throws a unique violation if any was charged before. */
    static void copyClaims(Connection connection, List<LedgerDebit> debits) throws SQLException {
        copyIn(connection, COPY_CLAIMS, encodeClaims(debits));
    }

    private static void copyIn(Connection connection, String sql, byte[] rows) throws SQLException {
        CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
        try {
            copy.writeToCopy(rows, 0, rows.length);
            copy.endCopy();
        } finally {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
        }
    }

    /** The binary COPY stream of the debits: signature, one tuple per debit, trailer. */
    static byte[] encode(List<LedgerDebit> debits) {
        Writer out = new Writer(64 + debits.size() * 256);
        out.bytes(SIGNATURE).int32(0).int32(0);
        for (LedgerDebit debit : debits) {
            out.int16(FIELDS);
            out.text(debit.eventId());
            out.timestamp(debit.occurredAtMillis());
            out.text(debit.userId());
            out.text(debit.provider());
            out.text(debit.model());
            out.int64(debit.inputTokens());
            out.int64(debit.outputTokens());
            out.int64(debit.cachedInputTokens());
            out.text(debit.powerLevel());
            out.text(debit.tier());
            out.nanoCredits(debit.amountNanos());
            out.text(debit.priceVersion());
            out.text(debit.source());
            out.timestamp(debit.pricedAtMillis());
        }
        out.int16((short) -1);
        return out.toArray();
    }

    static byte[] encodeClaims(List<LedgerDebit> debits) {
        Writer out = new Writer(64 + debits.size() * 64);
        out.bytes(SIGNATURE).int32(0).int32(0);
        for (LedgerDebit debit : debits) {
            out.int16(CLAIM_FIELDS);
            out.text(debit.userId());
            out.text(debit.eventId());
            out.timestamp(debit.occurredAtMillis());
        }
        out.int16((short) -1);
        return out.toArray();
    }

    /** A growable big-endian buffer with one method per field type COPY's binary format knows. */
    private static final class Writer {
        private ByteBuffer buffer;

        Writer(int capacity) {
            buffer = ByteBuffer.allocate(capacity);
        }

        private void ensure(int bytes) {
            if (buffer.remaining() < bytes) {
                ByteBuffer larger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + bytes));
                buffer.flip();
                larger.put(buffer);
                buffer = larger;
            }
        }

        Writer bytes(byte[] bytes) {
            ensure(bytes.length);
            buffer.put(bytes);
            return this;
        }

        Writer int16(short value) {
            ensure(2);
            buffer.putShort(value);
            return this;
        }

        Writer int32(int value) {
            ensure(4);
            buffer.putInt(value);
            return this;
        }

        void int64(long value) {
            ensure(12);
            buffer.putInt(8).putLong(value);
        }

        void text(String value) {
            byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
            ensure(4 + utf8.length);
            buffer.putInt(utf8.length).put(utf8);
        }

        /** Exact: a time no long of microseconds holds throws (the batch isolates that debit) instead of wrapping. */
        void timestamp(long epochMillis) {
            int64(Math.multiplyExact(Math.subtractExact(epochMillis, POSTGRES_EPOCH_MILLIS), 1000L));
        }

        /**
         * A non-negative nano-credit amount as NUMERIC with scale 9, in PostgreSQL's form: base-10000 digits
         * with the weight of the first, no leading or trailing zero digit (as numeric_send writes it).
         */
        void nanoCredits(long nanos) {
            if (nanos < 0) {
                throw new IllegalArgumentException("a usage event's cost is never negative, was " + nanos);
            }
            // integer part in base 10000, most significant first, then the 9 decimals padded to 12 (3 digits)
            short[] digits = new short[8];
            int count = 0;
            long whole = nanos / 1_000_000_000L;
            short[] wholeDigits = new short[5];
            int wholeCount = 0;
            for (long rest = whole; rest > 0; rest /= NUMERIC_DIGIT_BASE) {
                wholeDigits[wholeCount++] = (short) (rest % NUMERIC_DIGIT_BASE);
            }
            for (int i = wholeCount - 1; i >= 0; i--) {
                digits[count++] = wholeDigits[i];
            }
            long fraction = nanos % 1_000_000_000L * 1000;
            digits[count++] = (short) (fraction / 100_000_000L);
            digits[count++] = (short) (fraction / NUMERIC_DIGIT_BASE % NUMERIC_DIGIT_BASE);
            digits[count++] = (short) (fraction % NUMERIC_DIGIT_BASE);
            int weight = wholeCount - 1;
            int first = 0;
            while (first < count && digits[first] == 0) {
                first++;
                weight--;
            }
            int last = count;
            while (last > first && digits[last - 1] == 0) {
                last--;
            }
            int ndigits = last - first;
            if (ndigits == 0) {
                weight = 0;
            }
            ensure(4 + 8 + 2 * ndigits);
            buffer.putInt(8 + 2 * ndigits).putShort((short) ndigits).putShort((short) weight).putShort(NUMERIC_POSITIVE).putShort(COST_SCALE);
            for (int i = first; i < last; i++) {
                buffer.putShort(digits[i]);
            }
        }

        byte[] toArray() {
            byte[] bytes = new byte[buffer.position()];
            buffer.flip();
            buffer.get(bytes);
            return bytes;
        }
    }
}

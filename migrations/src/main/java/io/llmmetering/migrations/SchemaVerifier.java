package io.llmmetering.migrations;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks what the seed's verification checklist checks: the five credit tables exist and the indexes
 * exist, and reports them. Indexes of usage_events' partitions are not counted: they are copies of the
 * parent's.
 */
public final class SchemaVerifier {

    public static final List<String> SEED_TABLES = List.of(
            "user_credits", "credit_transactions", "openrouter_accounts", "coupon_codes", "usage_events");
    public static final List<String> DESIGN_TABLES = List.of(
            "coupon_redemptions", "ingest_api_keys", "applier_offsets", "usage_rollups", "usage_rollup_changes", "usage_rollup_hours",
            "dead_letters", "dead_letter_replays", "usage_event_claims");
    public static final int MINIMUM_INDEXES = 20;

    /** Every index the migrations create, by name, with its table. */
    public static final Map<String, String> REQUIRED_INDEXES = requiredIndexes();

    private static Map<String, String> requiredIndexes() {
        Map<String, String> indexes = new LinkedHashMap<>();
        for (String name : List.of("idx_user_credits_tier", "idx_user_credits_status",
                "idx_user_credits_spend_blocked_reason")) {
            indexes.put(name, "user_credits");
        }
        for (String name : List.of("idx_credit_transactions_user_id_created_at",
                "idx_credit_transactions_user_id_transaction_type_created_at",
                "idx_credit_transactions_transaction_type_created_at", "idx_credit_transactions_created_at",
                "idx_credit_transactions_user_id_idempotency_key", "idx_credit_transactions_model_created_at",
                "idx_credit_transactions_purchase_reference")) {
            indexes.put(name, "credit_transactions");
        }
        indexes.put("idx_openrouter_accounts_user_id", "openrouter_accounts");
        indexes.put("idx_openrouter_accounts_status_last_synced_at", "openrouter_accounts");
        indexes.put("idx_coupon_codes_code", "coupon_codes");
        indexes.put("idx_coupon_codes_expires_at", "coupon_codes");
        indexes.put("idx_coupon_redemptions_coupon_id_user_id", "coupon_redemptions");
        indexes.put("idx_coupon_redemptions_user_id_redeemed_at", "coupon_redemptions");
        indexes.put("idx_ingest_api_keys_key_prefix", "ingest_api_keys");
        indexes.put("idx_ingest_api_keys_created_at", "ingest_api_keys");
        indexes.put("idx_credit_holds_user_id_request_id", "credit_holds");
        indexes.put("idx_credit_holds_expires_at", "credit_holds");
        indexes.put("idx_usage_rollups_granularity_window_start", "usage_rollups");
        indexes.put("idx_usage_rollups_model_granularity_window_start", "usage_rollups");
        indexes.put("idx_usage_rollups_provider_granularity_window_start", "usage_rollups");
        indexes.put("idx_usage_rollup_changes_hour", "usage_rollup_changes");
        indexes.put("idx_usage_event_claims_occurred_at", "usage_event_claims");
        indexes.put("idx_webhook_deliveries_due", "webhook_deliveries");
        indexes.put("idx_webhook_deliveries_endpoint_id_id", "webhook_deliveries");
        for (String name : List.of("idx_dead_letters_reason_id", "idx_dead_letters_model_reason", "idx_dead_letters_unreplayed",
                "idx_dead_letters_archived_at")) {
            indexes.put(name, "dead_letters");
        }
        for (String name : List.of("idx_usage_events_user_id_occurred_at")) {
            indexes.put(name, "usage_events");
        }
        return Map.copyOf(indexes);
    }

    public record Index(String name, String table) {
    }

    /** What was found; {@link #ok()} when nothing required is missing. */
    public record Report(List<String> presentTables, List<String> missingTables, List<Index> presentIndexes,
                         List<String> missingIndexes) {
        public boolean ok() {
            return missingTables.isEmpty() && missingIndexes.isEmpty() && presentIndexes.size() >= MINIMUM_INDEXES;
        }
    }

    private static final String TABLES = """
            SELECT c.relname
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
            """;

    private static final String INDEXES = """
            SELECT i.relname AS index_name, t.relname AS table_name
              FROM pg_index x
              JOIN pg_class i ON i.oid = x.indexrelid
              JOIN pg_class t ON t.oid = x.indrelid
              JOIN pg_namespace n ON n.oid = t.relnamespace
             WHERE n.nspname = current_schema() AND i.relname LIKE 'idx\\_%' AND NOT t.relispartition
             ORDER BY t.relname, i.relname
            """;

    public Report verify(Connection connection) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(TABLES); ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                tables.add(rows.getString(1));
            }
        }
        List<Index> indexes = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(INDEXES); ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                indexes.add(new Index(rows.getString("index_name"), rows.getString("table_name")));
            }
        }
        List<String> required = new ArrayList<>(SEED_TABLES);
        required.addAll(DESIGN_TABLES);
        List<String> present = required.stream().filter(tables::contains).toList();
        List<String> missing = required.stream().filter(t -> !tables.contains(t)).toList();
        List<String> indexNames = indexes.stream().map(Index::name).toList();
        List<String> missingIndexes = REQUIRED_INDEXES.keySet().stream().filter(n -> !indexNames.contains(n)).sorted().toList();
        return new Report(present, missing, indexes, missingIndexes);
    }
}

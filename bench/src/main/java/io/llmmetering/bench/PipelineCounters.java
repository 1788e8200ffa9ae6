package io.llmmetering.bench;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the pipeline did, read from its own cheap counters instead of scanning its tables: debits the applier
 * applied (its Micrometer counter), records the broker appended per topic (its MessagesInPerSec counts, which
 * include the transactions' commit markers) and rows PostgreSQL wrote per table ({@code pg_stat_user_tables},
 * usage_events' partitions summed). The broker runs in this JVM, so its meters are on this JVM's MBean server.
 */
final class PipelineCounters {

    /** PostgreSQL reports a backend's table counts at most once a second and an idle one's within 10 s. */
    static final long STATISTICS_FLUSH_MILLIS = 11_000;

    private final MeterRegistry creditApiMeters;
    private final MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();

    PipelineCounters(MeterRegistry creditApiMeters) {
        this.creditApiMeters = creditApiMeters;
    }

    long applied() {
        Counter applied = creditApiMeters.find("credit.applier.debits.applied").counter();
        return applied == null ? 0 : (long) applied.count();
    }

    /**
     * The lag of the partition of credit.debits furthest behind now, as the appliers' own gauge has it (observed
     * once a second), and how many partitions it has seen: a heavy user's partition must not stall the pipeline.
     */
    long hottestPartitionLag() {
        return creditApiMeters.find("credit.applier.partition.lag").gauges().stream().mapToLong(gauge -> (long) gauge.value()).max().orElse(0);
    }

    int partitions() {
        return creditApiMeters.find("credit.applier.partition.lag").gauges().size();
    }

    /** The applier's batches so far: how many, their mean size, and their mean and largest apply time. */
    Map<String, Object> applierBatches() {
        Map<String, Object> figures = new LinkedHashMap<>();
        io.micrometer.core.instrument.Timer apply = creditApiMeters.find("credit.applier.batch.apply").timer();
        io.micrometer.core.instrument.DistributionSummary size = creditApiMeters.find("credit.applier.batch.size").summary();
        if (apply != null && size != null) {
            figures.put("batches", apply.count());
            figures.put("mean_debits", Math.round(size.mean()));
            figures.put("mean_apply_ms", BenchMath.round(apply.mean(java.util.concurrent.TimeUnit.MILLISECONDS)));
            figures.put("max_apply_ms", BenchMath.round(apply.max(java.util.concurrent.TimeUnit.MILLISECONDS)));
        }
        return figures;
    }

    /** Records appended per topic since the broker started. */
    Map<String, Long> kafkaRecords() {
        Map<String, Long> byTopic = new TreeMap<>();
        try {
            for (ObjectName name : mbeans.queryNames(new ObjectName("kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec,topic=*"), null)) {
                byTopic.put(name.getKeyProperty("topic"), ((Number) mbeans.getAttribute(name, "Count")).longValue());
            }
        } catch (Exception e) {
            System.out.println("[bench] broker counters unavailable: " + e);
        }
        return byTopic;
    }

    /** Requests the broker has handled since it started, per request type (Produce, Fetch, EndTxn...). */
    Map<String, Long> brokerRequests() {
        Map<String, Long> byType = new TreeMap<>();
        try {
            for (ObjectName name : mbeans.queryNames(new ObjectName("kafka.network:type=RequestMetrics,name=RequestsPerSec,*"), null)) {
                byType.merge(name.getKeyProperty("request"), ((Number) mbeans.getAttribute(name, "Count")).longValue(), Long::sum);
            }
        } catch (Exception e) {
            System.out.println("[bench] broker request counters unavailable: " + e);
        }
        return byType;
    }

    /** Rows inserted, updated and deleted per table since the statistics were reset. */
    static Map<String, Long> postgresRows(Connection connection) throws SQLException {
        Map<String, Long> byTable = new TreeMap<>();
        try (Statement s = connection.createStatement(); ResultSet row = s.executeQuery("""
                SELECT CASE WHEN relname ~ '^usage_events_(p[0-9]{6}|default)$' THEN 'usage_events' ELSE relname END,
                       sum(n_tup_ins + n_tup_upd + n_tup_del)::bigint
                  FROM pg_stat_user_tables GROUP BY 1
                """)) {
            while (row.next()) {
                byTable.put(row.getString(1), row.getLong(2));
            }
        }
        return byTable;
    }

    /** Per-key differences divided by {@code events}, and their sum under {@code total}; keys that did not change are left out. */
    static Map<String, Object> perEvent(Map<String, Long> from, Map<String, Long> to, long events) {
        Map<String, Object> figures = new LinkedHashMap<>();
        long total = 0;
        for (Map.Entry<String, Long> entry : to.entrySet()) {
            long delta = entry.getValue() - from.getOrDefault(entry.getKey(), 0L);
            if (delta != 0) {
                figures.put(entry.getKey(), events == 0 ? 0 : Math.round(delta * 1000.0 / events) / 1000.0);
                total += delta;
            }
        }
        figures.put("total", events == 0 ? 0 : Math.round(total * 1000.0 / events) / 1000.0);
        return figures;
    }
}

package io.llmmetering.creditapi.web;

import io.llmmetering.core.pricing.PricedModel;
import io.llmmetering.core.pricing.PowerLevel;
import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.core.pricing.Tier;
import io.llmmetering.creditapi.accounts.Account;
import io.llmmetering.creditapi.accounts.AccountQueries;
import io.llmmetering.creditapi.accounts.LedgerEntry;
import io.llmmetering.creditapi.accounts.TransactionQuery;
import io.llmmetering.creditapi.analytics.UsageAnalytics;
import tools.jackson.databind.json.JsonMapper;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Answers and query parameters the user and admin endpoints share: balances, transaction pages, usage, pricing.
 */
final class ApiViews {

    static final Set<String> TRANSACTION_TYPES = Set.of("allocation", "purchase", "coupon", "refund", "deduction", "usage", "adjustment");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ApiViews() {
    }

    static Responses.Balance balance(Account account) {
        // beyond the seed's fields: held (reserved for calls in flight) and available (what may still be spent)
        return new Responses.Balance(Inputs.amount(account.balance()), account.tier(), account.monthlyCap().map(Inputs::amount).orElse(null),
                Inputs.amount(account.monthToDateSpend()), account.status(), account.spendBlockedReason().orElse(null),
                Inputs.amount(account.held()), Inputs.amount(account.available()));
    }

    static TransactionQuery transactionQuery(Integer limit, String cursor, String type, String from, String to) {
        int size = limit == null ? 20 : limit;
        if (size < 1 || size > TransactionQuery.MAX_LIMIT) {
            throw ApiProblem.validation("limit", "limit must be between 1 and " + TransactionQuery.MAX_LIMIT);
        }
        if (type != null && !TRANSACTION_TYPES.contains(type)) {
            throw ApiProblem.validation("type", "type must be one of " + TRANSACTION_TYPES.stream().sorted().toList());
        }
        Instant start = instant("from", from, Instant.parse("1970-01-01T00:00:00Z"));
        Instant end = instant("to", to, Instant.parse("9999-01-01T00:00:00Z"));
        if (!start.isBefore(end)) {
            throw ApiProblem.validation("from", "from must be before to");
        }
        Optional<TransactionQuery.Position> after;
        try {
            after = cursor == null ? Optional.empty() : Optional.of(TransactionQuery.Position.ofCursor(cursor));
        } catch (IllegalArgumentException e) {
            throw ApiProblem.validation("cursor", e.getMessage());
        }
        return new TransactionQuery(size, Optional.ofNullable(type), start, end, after);
    }

    static Instant instant(String field, String text, Instant otherwise) {
        if (text == null) {
            return otherwise;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw ApiProblem.validation(field, field + " must be an ISO-8601 instant such as 2026-11-01T00:00:00Z");
        }
    }

    static Responses.Transactions transactions(AccountQueries.Page page) {
        List<Responses.Transaction> rows = new ArrayList<>(page.entries().size());
        for (LedgerEntry entry : page.entries()) {
            rows.add(new Responses.Transaction(entry.id().toString(), entry.type(), Inputs.amount(entry.amount()),
                    Inputs.amount(entry.balanceAfter()), entry.reason().orElse(null), entry.provider().orElse(null),
                    entry.model().orElse(null), entry.tokensUsed().isPresent() ? entry.tokensUsed().getAsLong() : null,
                    entry.powerLevel().orElse(null), entry.eventCount(), JSON.readTree(entry.metadataJson()), entry.createdAt().toString()));
        }
        return new Responses.Transactions(rows, page.next().map(TransactionQuery.Position::cursor).orElse(null));
    }

    static final int MAX_USAGE_DAYS = 400;

    /**
     * Usage in [from, to) (default: this UTC month so far) grouped as asked. Time groupings come back as a
     * gap-free series, oldest first, ready to plot; the others as the top {@code limit} by cost.
     */
    static Responses.Usage usage(UsageAnalytics analytics, Optional<String> userId, String groupByName, String from, String to,
                                     Integer limit) throws java.sql.SQLException {
        UsageAnalytics.GroupBy groupBy = UsageAnalytics.GroupBy.named(groupByName == null ? "model" : groupByName)
                .filter(g -> userId.isEmpty() || g != UsageAnalytics.GroupBy.USER)
                .orElseThrow(() -> ApiProblem.validation("group_by", "group_by must be one of model, provider, "
                        + (userId.isEmpty() ? "user, " : "") + "hour, day"));
        Instant now = Instant.now();
        Instant monthStart = now.atZone(java.time.ZoneOffset.UTC).withDayOfMonth(1).toLocalDate().atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
        Instant start = instant("from", from, monthStart);
        Instant end = instant("to", to, now);
        if (!start.isBefore(end) || java.time.Duration.between(start, end).toDays() > MAX_USAGE_DAYS) {
            throw ApiProblem.validation("from", "from must be before to, at most " + MAX_USAGE_DAYS + " days apart");
        }
        int size = limit == null ? 100 : limit;
        if (size < 1 || size > 1000) {
            throw ApiProblem.validation("limit", "limit must be between 1 and 1000");
        }
        List<UsageAnalytics.Row> rows = analytics.usage(userId, groupBy, start, end, groupBy.isTime() ? Integer.MAX_VALUE : size);
        if (groupBy.isTime()) {
            rows = gapFree(rows, groupBy, start, end);
        }
        io.llmmetering.core.money.Credits cost = io.llmmetering.core.money.Credits.ZERO;
        long requests = 0;
        long input = 0;
        long output = 0;
        List<Responses.UsageRow> out = new ArrayList<>(rows.size());
        for (UsageAnalytics.Row row : rows) {
            out.add(new Responses.UsageRow(row.key(), row.requests(), row.inputTokens(), row.outputTokens(), Inputs.amount(row.cost())));
            cost = cost.plus(row.cost());
            requests += row.requests();
            input += row.inputTokens();
            output += row.outputTokens();
        }
        return new Responses.Usage(groupBy.name().toLowerCase(java.util.Locale.ROOT), start.toString(), end.toString(),
                new Responses.UsageTotals(requests, input, output, Inputs.amount(cost)), out);
    }

    /** Every bucket from the one holding {@code from} to the one holding the end of the range, zero where nothing was used. */
    private static List<UsageAnalytics.Row> gapFree(List<UsageAnalytics.Row> rows, UsageAnalytics.GroupBy groupBy, Instant from, Instant to) {
        java.time.temporal.ChronoUnit unit = groupBy == UsageAnalytics.GroupBy.HOUR ? java.time.temporal.ChronoUnit.HOURS
                : java.time.temporal.ChronoUnit.DAYS;
        Map<String, UsageAnalytics.Row> byKey = new java.util.HashMap<>();
        rows.forEach(row -> byKey.put(row.key(), row));
        List<UsageAnalytics.Row> series = new ArrayList<>();
        for (Instant bucket = from.truncatedTo(unit); bucket.isBefore(to); bucket = bucket.plus(1, unit)) {
            String key = bucket.toString();
            series.add(byKey.getOrDefault(key, new UsageAnalytics.Row(key, 0, 0, 0, io.llmmetering.core.money.Credits.ZERO)));
        }
        return series;
    }

    static Responses.Pricing pricing(PriceBook book, Map<String, String> versions) {
        Map<String, Responses.ModelPricing> models = new LinkedHashMap<>();
        book.models().stream().sorted(java.util.Comparator.comparing(PricedModel::model)).forEach(price -> models.put(price.model(),
                new Responses.ModelPricing(price.provider(), plain(price.inputPer1k()), plain(price.outputPer1k()),
                        price.cachedInputPer1k().map(ApiViews::plain).orElse(null), price.blendedPer1k().map(ApiViews::plain).orElse(null),
                        book.aliasesOf(price.model()),
                        versions.getOrDefault(price.model().strip().toLowerCase(java.util.Locale.ROOT), book.version()))));
        Map<String, BigDecimal> tiers = new LinkedHashMap<>();
        for (Tier tier : book.tiers()) {
            tiers.put(tier.name(), plain(tier.multiplier()));
        }
        Map<String, BigDecimal> powerLevels = new LinkedHashMap<>();
        for (PowerLevel level : book.powerLevels()) {
            powerLevels.put(level.name(), plain(level.multiplier()));
        }
        return new Responses.Pricing(book.version(), "credits per 1,000 tokens",
                "cost = (tokens / 1000) * base_cost * power_multiplier * tier_multiplier; "
                        + "base_cost for a bare tokens_used count is blended_per_1k, else (5 * input_per_1k + output_per_1k) / 6",
                models, tiers, powerLevels);
    }

    private static BigDecimal plain(BigDecimal value) {
        BigDecimal stripped = value.stripTrailingZeros();
        return stripped.scale() < 1 ? stripped.setScale(1) : stripped;
    }
}

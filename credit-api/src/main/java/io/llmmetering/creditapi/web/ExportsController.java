package io.llmmetering.creditapi.web;

import io.llmmetering.creditapi.exports.CsvExport;
import io.llmmetering.creditapi.exports.CsvExports;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

/**
 * CSV exports, streamed row by row as PostgreSQL returns them: a user's ledger, every user's ledger, and usage by
 * day, user and model. Parameters are checked and the query run before the first byte, so a bad request or a
 * database that is away gets problem+json, not a truncated file.
 */
@RestController
@Tag(name = "Exports")
final class ExportsController {

    private static final Logger log = LoggerFactory.getLogger(ExportsController.class);
    private static final MediaType CSV = MediaType.parseMediaType("text/csv;charset=UTF-8");

    private final CsvExports exports;

    ExportsController(CsvExports exports) {
        this.exports = exports;
    }

    @Operation(operationId = "exportMyTransactions", summary = "the caller's ledger as CSV, streamed; type, from, to")
    @GetMapping(path = "/api/v1/credits/transactions/export", produces = "text/csv")
    @ApiResponse(responseCode = "200", description = "the caller's ledger rows, oldest first",
            content = @Content(mediaType = "text/csv", schema = @Schema(type = "string", format = "binary")))
    ResponseEntity<StreamingResponseBody> myTransactions(@AuthenticationPrincipal Jwt caller, @RequestParam(required = false) String type,
                                                         @RequestParam(required = false) String from, @RequestParam(required = false) String to)
            throws SQLException {
        return transactions(Optional.of(caller.getSubject()), type, from, to);
    }

    @Operation(operationId = "exportTransactions", summary = "every account's ledger (or user_id's) as CSV, streamed; type, from, to")
    @GetMapping(path = "/api/v1/admin/transactions/export", produces = "text/csv")
    @ApiResponse(responseCode = "200", description = "every account's ledger rows (or one account's), oldest first",
            content = @Content(mediaType = "text/csv", schema = @Schema(type = "string", format = "binary")))
    ResponseEntity<StreamingResponseBody> allTransactions(@RequestParam(name = "user_id", required = false) String userId,
                                                          @RequestParam(required = false) String type,
                                                          @RequestParam(required = false) String from, @RequestParam(required = false) String to)
            throws SQLException {
        return transactions(Optional.ofNullable(userId).map(id -> Inputs.userId("user_id", id)), type, from, to);
    }

    @Operation(operationId = "exportUsage", summary = "usage by UTC day, user and model as CSV, streamed; from, to (at most 800 days)")
    @GetMapping(path = "/api/v1/admin/usage/export", produces = "text/csv")
    @ApiResponse(responseCode = "200", description = "usage by UTC day, user and model, oldest day first",
            content = @Content(mediaType = "text/csv", schema = @Schema(type = "string", format = "binary")))
    ResponseEntity<StreamingResponseBody> usage(@RequestParam(required = false) String from, @RequestParam(required = false) String to)
            throws SQLException {
        Instant now = Instant.now();
        Instant start = ApiViews.instant("from", from, now.atZone(java.time.ZoneOffset.UTC).withDayOfMonth(1).toLocalDate()
                .atStartOfDay(java.time.ZoneOffset.UTC).toInstant());
        Instant end = ApiViews.instant("to", to, now);
        if (!start.isBefore(end) || java.time.Duration.between(start, end).toDays() > MAX_USAGE_EXPORT_DAYS) {
            throw ApiProblem.validation("from", "from must be before to, at most " + MAX_USAGE_EXPORT_DAYS + " days apart");
        }
        return csv("usage-by-day.csv", exports.dailyUsage(start, end));
    }

    /** Two years: a year of a busy platform, and the same month of the year before. */
    static final int MAX_USAGE_EXPORT_DAYS = 800;

    private ResponseEntity<StreamingResponseBody> transactions(Optional<String> userId, String type, String from, String to) throws SQLException {
        if (type != null && !ApiViews.TRANSACTION_TYPES.contains(type)) {
            throw ApiProblem.validation("type", "type must be one of " + ApiViews.TRANSACTION_TYPES.stream().sorted().toList());
        }
        Instant start = ApiViews.instant("from", from, Instant.EPOCH);
        Instant end = ApiViews.instant("to", to, Instant.parse("9999-01-01T00:00:00Z"));
        if (!start.isBefore(end)) {
            throw ApiProblem.validation("from", "from must be before to");
        }
        return csv("transactions.csv", exports.transactions(userId, Optional.ofNullable(type), start, end));
    }

    private static ResponseEntity<StreamingResponseBody> csv(String filename, CsvExport export) {
        StreamingResponseBody body = out -> {
            try (export) {
                long rows = export.writeTo(out);
                log.info("csv export written file={} rows={}", filename, rows);
            } catch (SQLException e) {
                log.warn("csv export cut short file={} error={}", filename, e.getMessage());
                throw new IOException("the export failed while it was read: " + e.getMessage(), e);
            }
        };
        return ResponseEntity.ok().contentType(CSV)
                .header(HttpHeaders.CONTENT_DISPOSITION, "attachment; filename=\"" + filename + "\"")
                .header(HttpHeaders.CACHE_CONTROL, "no-store").body(body);
    }
}

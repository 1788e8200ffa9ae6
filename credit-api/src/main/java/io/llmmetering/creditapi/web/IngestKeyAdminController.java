package io.llmmetering.creditapi.web;

import io.llmmetering.core.keys.LiteLlmAccount;
import io.llmmetering.creditapi.ingestkeys.IngestKeyAdmin;
import io.swagger.v3.oas.annotations.media.Schema;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import java.sql.SQLException;
import java.time.Instant;
import java.util.UUID;

/** Proxies' ingest keys, for admins (role {@code admin}, enforced for the whole /api/v1/admin tree by the security filter chain). */
@RestController
@Tag(name = "IngestKeys")
final class IngestKeyAdminController {

    private final IngestKeyAdmin ingestKeys;

    IngestKeyAdminController(IngestKeyAdmin ingestKeys) {
        this.ingestKeys = ingestKeys;
    }

    /** {@code litellm_account}: which account the key's LiteLLM records bill (user, team or team_when_no_user; default user). */
    record IngestKeyRequest(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String name, String source, String litellmAccount) {
    }

    @Operation(operationId = "createIngestKey", summary = "create a proxy's ingest key (shown once); litellm_account: whom its LiteLLM records bill (user, team, team_when_no_user)")
    @PostMapping(path = "/api/v1/admin/ingest-keys", consumes = MediaType.APPLICATION_JSON_VALUE)
    @ResponseStatus(HttpStatus.CREATED)
    ResponseEntity<Responses.CreatedIngestKey> createIngestKey(@AuthenticationPrincipal Jwt admin, @RequestBody IngestKeyRequest request)
            throws SQLException {
        String name = Inputs.requiredText("name", request.name(), 200);
        String source = Inputs.optionalText("source", request.source(), 100).orElse(name);
        LiteLlmAccount account = request.litellmAccount() == null ? LiteLlmAccount.USER : LiteLlmAccount.named(request.litellmAccount())
                .orElseThrow(() -> ApiProblem.validation("litellm_account", "litellm_account must be user, team or team_when_no_user"));
        IngestKeyAdmin.CreatedKey key = ingestKeys.create(name, source, account, admin.getSubject());
        return ResponseEntity.status(HttpStatus.CREATED).body(new Responses.CreatedIngestKey(key.id().toString(), key.key(), key.name(),
                key.source(), key.liteLlmAccount().wireName(), key.createdAt().toString(), "the key is shown only now; store it in the proxy's configuration"));
    }

    @Operation(operationId = "listIngestKeys", summary = "list keys, masked (include_revoked)")
    @GetMapping("/api/v1/admin/ingest-keys")
    Responses.IngestKeys listIngestKeys(@RequestParam(name = "include_revoked", defaultValue = "false") boolean includeRevoked)
            throws SQLException {
        return new Responses.IngestKeys(ingestKeys.list(includeRevoked).stream()
                .map(key -> new Responses.IngestKey(key.id().toString(), key.prefix() + "_****", key.name(), key.source(),
                        key.liteLlmAccount().wireName(), key.createdBy().orElse(null), key.createdAt().toString(), key.lastUsedAt().map(Instant::toString).orElse(null),
                        key.revokedAt().map(Instant::toString).orElse(null)))
                .toList());
    }

    @Operation(operationId = "revokeIngestKey", summary = "revoke a key")
    @DeleteMapping("/api/v1/admin/ingest-keys/{id}")
    ResponseEntity<Void> revokeIngestKey(@PathVariable String id) throws SQLException {
        UUID keyId;
        try {
            keyId = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.validation("id", "id must be a UUID");
        }
        if (!ingestKeys.revoke(keyId)) {
            throw ApiProblem.notFound("no ingest key with this id");
        }
        return ResponseEntity.noContent().build();
    }
}

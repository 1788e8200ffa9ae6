package io.llmmetering.usageingest.web;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.llmmetering.core.problems.ProblemType;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;

import java.util.List;
import java.util.Map;

/**
 * usage-ingest's OpenAPI document: the ingest-key scheme and the shapes of the three formats, which the
 * controller reads as raw bytes (to bound and stream them) and so cannot describe by its parameters.
 */
final class IngestDocument {

    static final String INGEST_KEY = "ingestKey";

    private IngestDocument() {
    }

    static OpenAPI openApi() {
        return new OpenAPI()
                .info(new Info().title("LLM metering usage ingest").version("v1").description(
                        "Usage events from LLM proxies, in our JSON or NDJSON, OpenMeter's CloudEvents, or LiteLLM's generic_api payloads. "
                                + "Each answer says which events were accepted and which were refused and why; errors are " + ProblemType.MEDIA_TYPE + "."))
                .components(new Components().addSecuritySchemes(INGEST_KEY, new SecurityScheme().type(SecurityScheme.Type.HTTP)
                        .scheme("bearer").bearerFormat("mk_...").description("the proxy's ingest key, from POST /api/v1/admin/ingest-keys on credit-api")))
                .addSecurityItem(new SecurityRequirement().addList(INGEST_KEY));
    }

    @Schema(description = "one usage event; its event_id makes it idempotent")
    record NativeEvent(@Schema(description = "without it, the Idempotency-Key header and the position make the id") @JsonProperty("event_id") String eventId,
                       @Schema(requiredMode = Schema.RequiredMode.REQUIRED) @JsonProperty("user_id") String userId,
                       @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String provider,
                       @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String model,
                       @Schema(description = "input_tokens, output_tokens or both") @JsonProperty("input_tokens") Long inputTokens,
                       @JsonProperty("output_tokens") Long outputTokens, @JsonProperty("cached_input_tokens") Long cachedInputTokens,
                       @JsonProperty("power_level") String powerLevel,
                       @Schema(format = "date-time") @JsonProperty("occurred_at") String occurredAt,
                       Map<String, String> metadata, String source) {
    }

    @Schema(description = "a CloudEvent as OpenMeter ingests it: subject is the user, data the usage")
    record CloudEvent(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String id, String source,
                      @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String specversion, String type,
                      @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String subject, @Schema(format = "date-time") String time,
                      @Schema(requiredMode = Schema.RequiredMode.REQUIRED) CloudEventUsage data) {
    }

    record CloudEventUsage(String provider, @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String model,
                           @JsonProperty("input_tokens") Long inputTokens, @JsonProperty("output_tokens") Long outputTokens,
                           @JsonProperty("cached_input_tokens") Long cachedInputTokens, @JsonProperty("power_level") String powerLevel,
                           Map<String, String> metadata) {
    }

    @Schema(description = "LiteLLM's StandardLoggingPayload (the fields read here); status failure is ignored")
    record LiteLlmRecord(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String id, String status,
                         @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String model,
                         @JsonProperty("custom_llm_provider") String customLlmProvider,
                         @JsonProperty("prompt_tokens") Long promptTokens, @JsonProperty("completion_tokens") Long completionTokens,
                         @Schema(description = "Unix seconds") @JsonProperty("startTime") Double startTime,
                         @JsonProperty("end_user") String endUser, @JsonProperty("response_cost") Double responseCost,
                         LiteLlmMetadata metadata) {
    }

    record LiteLlmMetadata(@JsonProperty("user_api_key_user_id") String userApiKeyUserId,
                           @JsonProperty("user_api_key_team_id") String userApiKeyTeamId,
                           @JsonProperty("user_api_key_end_user_id") String userApiKeyEndUserId,
                           @JsonProperty("user_api_key_alias") String userApiKeyAlias) {
    }

    @Schema(description = "what became of the events sent")
    record Answer(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) int accepted,
                  @Schema(description = "LiteLLM only: failed calls, which cost nothing") Integer ignored,
                  @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<Refusal> rejected) {
    }

    record Refusal(@Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "position in the body, from 0") int index,
                   @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String reason,
                   @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String detail) {
    }

    @Schema(description = "RFC 9457 problem details; a batch with refused events adds accepted and rejected")
    record Problem(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String type, @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String title,
                   @Schema(requiredMode = Schema.RequiredMode.REQUIRED) int status, String detail, Integer accepted, List<Refusal> rejected) {
    }
}

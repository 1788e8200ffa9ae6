package io.llmmetering.core.problems;

import io.llmmetering.core.pricing.InvalidUsageException;
import io.llmmetering.core.pricing.UnknownModelException;
import io.llmmetering.core.pricing.UnknownPowerLevelException;
import io.llmmetering.core.pricing.UnknownTierException;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ProblemTypeTest {

    @Test
    void everyTypeIsAUriUnderTheOneBaseWithAnErrorStatus() {
        for (ProblemType type : ProblemType.values()) {
            assertThat(type.uri().toString()).isEqualTo("https://llm-metering.dev/problems/" + type.code());
            assertThat(type.code()).matches("[a-z]+(-[a-z]+)*");
            assertThat(type.status()).isBetween(400, 599);
        }
        assertThat(ProblemType.KAFKA_UNAVAILABLE.code()).isEqualTo("kafka-unavailable");
    }

    @Test
    void everyPricingRefusalNamesATypeOfTheCatalogue() {
        List<String> reasons = List.of(new UnknownModelException("m").reason(), new UnknownPowerLevelException("p", Set.of()).reason(),
                new UnknownTierException("t", Set.of()).reason(), new InvalidUsageException("u").reason());
        assertThat(reasons).extracting(ProblemType::ofReason).containsExactly(ProblemType.UNKNOWN_MODEL,
                ProblemType.UNKNOWN_POWER_LEVEL, ProblemType.UNKNOWN_TIER, ProblemType.INVALID_USAGE);
    }

    @Test
    void theHandWrittenBodyIsValidJsonWhateverTheDetailHolds() {
        String detail = "a \"quoted\" \\ back\nslash \u0000 and \u2028 </script>";
        JsonNode body = JsonMapper.builder().build().readTree(ProblemType.CSRF.json("Forbidden", detail));

        assertThat(body.get("type").asString()).isEqualTo("https://llm-metering.dev/problems/csrf");
        assertThat(body.get("title").asString()).isEqualTo("Forbidden");
        assertThat(body.get("status").asInt()).isEqualTo(403);
        assertThat(body.get("detail").asString()).isEqualTo(detail);
    }
}

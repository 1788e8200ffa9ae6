package io.llmmetering.creditapi.deadletters;

import io.llmmetering.creditapi.webhooks.WebhookEventTypes;
import io.llmmetering.creditapi.webhooks.WebhookOutbox;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Models that arrive without a price while no earlier dead letter of theirs waits: each a {@code model.unpriced} event. */
final class UnpricedModels {

    private UnpricedModels() {
    }

    static List<WebhookOutbox.Message> newlySeen(Connection connection, List<DeadLetterArchive.Incoming> letters) throws SQLException {
        Map<String, DeadLetterArchive.Incoming> firstByModel = new LinkedHashMap<>();
        for (DeadLetterArchive.Incoming letter : letters) {
            if ("unknown_model".equals(letter.reason()) && letter.event().isPresent() && letter.event().get().model() != null) {
                firstByModel.putIfAbsent(DeadLetterArchive.text(letter.event().get().model()), letter);
            }
        }
        if (firstByModel.isEmpty()) {
            return List.of();
        }
        List<WebhookOutbox.Message> messages = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement(DeadLetterStatements.MODELS_NOT_WAITING)) {
            query.setArray(1, connection.createArrayOf("text", firstByModel.keySet().toArray()));
            try (ResultSet rows = query.executeQuery()) {
                Instant now = Instant.now();
                while (rows.next()) {
                    DeadLetterArchive.Incoming letter = firstByModel.get(rows.getString(1));
                    DeadLetter.Event event = letter.event().orElseThrow();
                    Map<String, Object> data = new LinkedHashMap<>();
                    data.put("model", DeadLetterArchive.text(event.model()));
                    data.put("provider", DeadLetterArchive.text(event.provider()));
                    data.put("user_id", DeadLetterArchive.text(event.userId()));
                    data.put("event_id", DeadLetterArchive.text(event.eventId()));
                    data.put("first_seen", letter.failedAt().toString());
                    data.put("hint", "price it (PUT /api/v1/admin/pricing/models/{model}), then replay its dead letters");
                    messages.add(WebhookOutbox.Message.of(WebhookEventTypes.MODEL_UNPRICED, now, data));
                }
            }
        }
        return messages;
    }

}

package io.llmmetering.creditapi.web;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The API's OpenAPI document read as a client generated from it would read it: an answer is checked against the
 * schema the document gives its operation and status, with every object closed ({@code additionalProperties: false})
 * so a field the document does not name fails as surely as a field of the wrong type.
 */
final class OpenApiContract {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final JsonNode document;
    private final ObjectNode closedComponents;
    private final SchemaRegistry schemas = SchemaRegistry.withDialect(Dialects.getDraft202012());
    private final Set<String> checked = new TreeSet<>();

    OpenApiContract(String documentJson) {
        this.document = JSON.readTree(documentJson);
        this.closedComponents = (ObjectNode) document.get("components").deepCopy();
        closeObjects(closedComponents);
    }

    /** Fails when the answer does not match what the document promises for this operation and status. */
    void check(String method, String path, HttpResponse<String> answer) {
        String operation = method.toLowerCase(java.util.Locale.ROOT) + " " + template(path);
        String status = Integer.toString(answer.statusCode());
        JsonNode response = document.get("paths").get(template(path)).get(method.toLowerCase(java.util.Locale.ROOT)).get("responses").get(status);
        if (response == null) {
            throw new AssertionError(operation + " answered " + status + ", which the document does not list: " + answer.body());
        }
        JsonNode schema = jsonSchema(response);
        if (schema == null) {
            throw new AssertionError(operation + " " + status + " has no JSON schema in the document");
        }
        ObjectNode root = JSON.createObjectNode();
        root.setAll((ObjectNode) schema.deepCopy());
        closeObjects(root);
        root.set("components", closedComponents);
        Schema compiled = schemas.getSchema(root);
        List<Error> errors = compiled.validate(JSON.readTree(answer.body()));
        if (!errors.isEmpty()) {
            throw new AssertionError(operation + " " + status + " does not match its schema: " + errors + "\nanswer: " + answer.body());
        }
        checked.add(operation);
    }

    /** Operations whose success answers are JSON: the ones a client reads. */
    Set<String> operationsAnsweringJson() {
        Set<String> operations = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = document.get("paths").properties().iterator(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            for (Map.Entry<String, JsonNode> method : path.getValue().properties()) {
                for (Map.Entry<String, JsonNode> response : method.getValue().get("responses").properties()) {
                    if (response.getKey().startsWith("2") && jsonSchema(response.getValue()) != null) {
                        operations.add(method.getKey() + " " + path.getKey());
                    }
                }
            }
        }
        return operations;
    }

    Set<String> checked() {
        return checked;
    }

    private String template(String path) {
        String bare = path.replaceFirst("\\?.*$", "");
        List<String> matches = new ArrayList<>();
        for (String template : document.get("paths").propertyNames()) {
            if (Pattern.matches(template.replaceAll("\\{[^}]+}", "[^/]+"), bare)) {
                matches.add(template);
            }
        }
        // a literal segment beats a variable one: /pricing/unknown-models, not /pricing/{x}
        return matches.stream().min(java.util.Comparator.comparingInt(t -> t.split("\\{").length))
                .orElseThrow(() -> new AssertionError("no operation in the document serves " + bare));
    }

    private static JsonNode jsonSchema(JsonNode response) {
        JsonNode content = response.get("content");
        if (content == null) {
            return null;
        }
        for (Map.Entry<String, JsonNode> type : content.properties()) {
            if (type.getKey().contains("json") || type.getKey().equals("*/*")) {
                return type.getValue().get("schema");
            }
        }
        return null;
    }

    private static void closeObjects(JsonNode node) {
        if (node instanceof ObjectNode object) {
            if (object.has("properties") && !object.has("additionalProperties")) {
                object.put("additionalProperties", false);
            }
            object.values().forEach(OpenApiContract::closeObjects);
        } else if (node != null && node.isArray()) {
            node.values().forEach(OpenApiContract::closeObjects);
        }
    }
}

package io.llmmetering.creditapi.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.swagger.v3.core.converter.AnnotatedType;
import io.swagger.v3.core.converter.ModelConverter;
import io.swagger.v3.core.converter.ModelConverterContext;
import io.swagger.v3.core.jackson.ModelResolver;
import io.swagger.v3.core.util.Json;
import io.swagger.v3.oas.models.media.Schema;

import java.lang.reflect.RecordComponent;
import java.util.Iterator;
import java.util.Optional;

/**
 * Describes answers in the OpenAPI document as the API writes them, so a client generated from it reads them.
 * Names are snake case: swagger-core describes models with a Jackson mapper of its own, which does not know the
 * API's naming strategy (a generated client would send {@code userId} where the API reads {@code user_id}). A
 * record's component is required unless it is left out when absent, and may be null unless it is primitive or left
 * out instead (an {@code Optional} under NON_NULL is written as null when empty): without that, a generated client
 * refuses the nulls the API sends ({@code "monthly_cap": null}). A request record's fields ({@code ...Request}) are
 * optional unless marked {@code @Schema(requiredMode = REQUIRED)}. Metadata passed through as JSON is any object.
 */
public final class AnswerSchemas extends ModelResolver {

    private static final PropertyNamingStrategies.NamingBase SNAKE_CASE = (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

    public AnswerSchemas() {
        super(Json.mapper().copy().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE));
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public Schema resolve(AnnotatedType type, ModelConverterContext context, Iterator<ModelConverter> next) {
        Class<?> raw = _mapper.constructType(type.getType()).getRawClass();
        if (tools.jackson.databind.JsonNode.class.isAssignableFrom(raw)) {
            // metadata passed through as its sender wrote it, not the tree class's getters
            Schema any = new Schema<>();
            any.addType("object");
            any.setDescription("a JSON object, as it was sent");
            return any;
        }
        Schema resolved = super.resolve(type, context, next);
        if (resolved == null || !raw.isRecord()) {
            return resolved;
        }
        // a model resolved as a reference is defined in the context under the reference's name
        Schema schema = resolved.get$ref() == null ? resolved
                : context.getDefinedModels().get(resolved.get$ref().substring(resolved.get$ref().lastIndexOf('/') + 1));
        if (schema == null || schema.getProperties() == null) {
            return resolved;
        }
        // a request's fields are optional unless marked required: the client may leave them out
        boolean request = raw.getSimpleName().endsWith("Request");
        if (request) {
            schema.setRequired(null);
        }
        for (RecordComponent component : raw.getRecordComponents()) {
            // Jackson's annotations do not target record components: Java puts them on the accessor
            JsonProperty named = component.getAccessor().getAnnotation(JsonProperty.class);
            String name = named != null ? named.value() : SNAKE_CASE.translate(component.getName());
            Schema property = (Schema) schema.getProperties().get(name);
            if (property == null) {
                continue;
            }
            JsonInclude include = component.getAccessor().getAnnotation(JsonInclude.class);
            boolean leftOutWhenNull = include != null && include.value() == JsonInclude.Include.NON_NULL;
            boolean writtenAsNull = component.getType() == Optional.class;
            if (request && !requiredInRequests(component)) {
                continue;
            }
            if (!leftOutWhenNull) {
                schema.addRequiredItem(name);
            }
            if (!component.getType().isPrimitive() && (!leftOutWhenNull || writtenAsNull) && property.get$ref() == null) {
                if (property.getTypes() == null && property.getType() != null) {
                    property.addType(property.getType());
                }
                property.addType("null");
            }
        }
        return resolved;
    }

    private static boolean requiredInRequests(RecordComponent component) {
        io.swagger.v3.oas.annotations.media.Schema marked = component.getAccessor().getAnnotation(io.swagger.v3.oas.annotations.media.Schema.class);
        return marked != null && marked.requiredMode() == io.swagger.v3.oas.annotations.media.Schema.RequiredMode.REQUIRED;
    }
}

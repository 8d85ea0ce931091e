package dev.apportion.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Reads required fields of a JSON object with messages that name the file, the context and the field. */
final class JsonFields {
    private final String where;

    /** @param where "inventory.json: entry '2505.10978'" and the like */
    JsonFields(String where) {
        this.where = where;
    }

    CatalogFormatException error(String field, String problem) {
        return new CatalogFormatException(where + ": field '" + field + "' " + problem);
    }

    JsonNode node(JsonNode obj, String field) {
        JsonNode n = obj.get(field);
        if (n == null) throw error(field, "is missing");
        return n;
    }

    String text(JsonNode obj, String field) {
        JsonNode n = node(obj, field);
        if (!n.isTextual() || n.asText().isBlank()) throw error(field, "must be a non-empty string, got " + n);
        return n.asText();
    }

    String nullableText(JsonNode obj, String field) {
        JsonNode n = node(obj, field);
        if (n.isNull()) return null;
        if (!n.isTextual()) throw error(field, "must be a string or null, got " + n);
        return n.asText();
    }

    int integer(JsonNode obj, String field) {
        JsonNode n = node(obj, field);
        if (!n.isIntegralNumber() || !n.canConvertToInt()) throw error(field, "must be an integer, got " + n);
        return n.asInt();
    }

    boolean bool(JsonNode obj, String field) {
        JsonNode n = node(obj, field);
        if (!n.isBoolean()) throw error(field, "must be true or false, got " + n);
        return n.asBoolean();
    }

    List<JsonNode> array(JsonNode obj, String field) {
        JsonNode n = node(obj, field);
        if (!n.isArray()) throw error(field, "must be an array, got " + n);
        List<JsonNode> out = new ArrayList<>();
        n.forEach(out::add);
        return out;
    }

    List<String> texts(JsonNode obj, String field) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : array(obj, field)) {
            if (!n.isTextual()) throw error(field, "must hold strings, got " + n);
            out.add(n.asText());
        }
        return out;
    }

    <E extends Enum<E>> E enumValue(Class<E> type, JsonNode obj, String field) {
        return enumOf(type, node(obj, field), field);
    }

    <E extends Enum<E>> E enumOf(Class<E> type, JsonNode value, String field) {
        if (!value.isTextual()) throw error(field, "must be one of " + WireEnum.choices(type) + ", got " + value);
        String text = value.asText();
        for (E e : type.getEnumConstants()) {
            if (WireEnum.wire(e).equals(text) || e.name().equals(text)) return e;
        }
        throw error(field, "value '" + text + "' is not one of " + WireEnum.choices(type));
    }

    <E extends Enum<E>> List<E> enums(Class<E> type, JsonNode obj, String field) {
        List<E> out = new ArrayList<>();
        for (JsonNode n : array(obj, field)) {
            E e = enumOf(type, n, field);
            if (out.contains(e)) throw error(field, "lists '" + n.asText() + "' twice");
            out.add(e);
        }
        return out;
    }

    JsonNode object(JsonNode obj, String field) {
        JsonNode n = node(obj, field);
        if (!n.isObject()) throw error(field, "must be an object, got " + n);
        return n;
    }

    /** The object, or null when the field holds null. */
    JsonNode nullableObject(JsonNode obj, String field) {
        JsonNode n = node(obj, field);
        if (n.isNull()) return null;
        if (!n.isObject()) throw error(field, "must be an object or null, got " + n);
        return n;
    }
}

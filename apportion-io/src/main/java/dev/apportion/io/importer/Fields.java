package dev.apportion.io.importer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.io.InputException;
import dev.apportion.io.Json;

/**
 * Typed access to the fields of one import record; every failure is an {@link InputException}
 * naming the file, the line, the trajectory (once known), the field and the value.
 */
final class Fields {
    final String source;
    final int line;
    private String who = "";

    Fields(String source, int line) {
        this.source = source;
        this.line = line;
    }

    /** Names the trajectory in later messages. */
    Fields trajectory(String group, String id) {
        who = "trajectory '" + id + "'" + (group == null ? "" : " (group '" + group + "')") + ": ";
        return this;
    }

    InputException error(String field, String detail) {
        return new InputException(source, line, field, who + detail);
    }

    JsonNode required(JsonNode obj, String field, String path) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) throw error(path, path + " is missing");
        return v;
    }

    String string(JsonNode obj, String field, String path) {
        JsonNode v = required(obj, field, path);
        if (!v.isTextual()) throw error(path, path + " must be a string, got " + Json.kind(v) + " " + Json.show(v));
        return v.asText();
    }

    String optString(JsonNode obj, String field, String path) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual()) throw error(path, path + " must be a string, got " + Json.kind(v) + " " + Json.show(v));
        return v.asText();
    }

    /** A string, or a number / boolean rendered as text (keys such as task ids are often numbers). */
    String key(JsonNode obj, String field, String path) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) return null;
        if (v.isTextual()) return v.asText();
        if (v.isIntegralNumber()) return v.asText();
        throw error(path, path + " must be a string or an integer, got " + Json.kind(v) + " " + Json.show(v));
    }

    double number(JsonNode obj, String field, String path) {
        JsonNode v = required(obj, field, path);
        return number(v, path);
    }

    double number(JsonNode v, String path) {
        if (v.isBoolean()) return v.asBoolean() ? 1 : 0;
        if (!v.isNumber()) throw error(path, path + " must be a number, got " + Json.kind(v) + " " + Json.show(v));
        double d = v.asDouble();
        if (!Double.isFinite(d) || Math.abs(d) > Float.MAX_VALUE) {
            throw error(path, path + " is out of range (numbers are stored as float32), got " + v);
        }
        return d;
    }

    /** A number or a boolean; NaN when absent or null. */
    double optNumber(JsonNode obj, String field, String path) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) return Double.NaN;
        return number(v, path);
    }

    int integer(JsonNode v, String path) {
        if (!v.isIntegralNumber() && !(v.isNumber() && v.asDouble() == Math.rint(v.asDouble()))) {
            throw error(path, path + " must be an integer, got " + Json.kind(v) + " " + Json.show(v));
        }
        return v.asInt();
    }

    JsonNode array(JsonNode obj, String field, String path) {
        JsonNode v = required(obj, field, path);
        if (!v.isArray()) throw error(path, path + " must be an array, got " + Json.kind(v) + " " + Json.show(v));
        return v;
    }

    JsonNode object(JsonNode obj, String field, String path) {
        JsonNode v = required(obj, field, path);
        if (!v.isObject()) throw error(path, path + " must be an object, got " + Json.kind(v) + " " + Json.show(v));
        return v;
    }

    /** A label: −1, 0, +1 or null. */
    Integer label(JsonNode v, String path) {
        if (v == null || v.isNull()) return null;
        if (!v.isNumber() || v.asDouble() != Math.rint(v.asDouble()) || Math.abs(v.asDouble()) > 1) {
            throw error(path, path + " must be -1, 0, 1 or null, got " + Json.show(v));
        }
        return v.asInt();
    }
}

package dev.apportion.io.importer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.io.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The OpenAI chat message format ({@code role}, {@code content}, {@code tool_calls}, {@code name}):
 * assistant messages become policy turns (agent = {@code name}), every other role a context turn.
 * A message's text is its content (a string, or the {@code text} of its content parts) followed
 * by one line per tool call, {@code name arguments}. Chat-template tokens are not counted.
 */
final class Messages {
    static final Set<String> CONTEXT_ROLES =
            Set.of("system", "developer", "user", "tool", "function", "ipython", "environment");

    private Messages() {}

    /**
     * Appends the messages to {@code c}.
     *
     * @param rewards read an optional {@code reward} on assistant messages as the turn's span reward
     * @return the index in {@code messages} of each policy turn, in order
     */
    static List<Integer> append(Conversation c, JsonNode messages, Fields f, String path, boolean rewards) {
        List<Integer> policy = new ArrayList<>();
        for (int k = 0; k < messages.size(); k++) {
            JsonNode m = messages.get(k);
            String p = path + "[" + k + "]";
            if (!m.isObject()) throw f.error(p, p + " must be an object, got " + Json.kind(m) + " " + Json.show(m));
            String role = f.string(m, "role", p + ".role");
            String text = text(m, f, p);
            if (role.equals("assistant")) {
                String agent = f.optString(m, "name", p + ".name");
                double reward = rewards ? f.optNumber(m, "reward", p + ".reward") : Double.NaN;
                c.policy(text, agent, reward);
                policy.add(k);
            } else if (CONTEXT_ROLES.contains(role)) {
                c.context(text);
            } else {
                throw f.error(
                        p + ".role",
                        p + ".role must be one of assistant, system, developer, user, tool, function, "
                                + "ipython, environment; got \"" + role + "\"");
            }
        }
        return policy;
    }

    /** The text of a message: content and tool calls. */
    static String text(JsonNode m, Fields f, String p) {
        StringBuilder s = new StringBuilder();
        JsonNode content = m.get("content");
        if (content == null || content.isNull()) {
            // no content (a pure tool call)
        } else if (content.isTextual()) {
            s.append(content.asText());
        } else if (content.isArray()) {
            for (int k = 0; k < content.size(); k++) {
                JsonNode part = content.get(k);
                if (part.isTextual()) {
                    s.append(part.asText());
                } else if (part.isObject()
                        && part.get("text") != null
                        && part.get("text").isTextual()) {
                    s.append(part.get("text").asText());
                } else if (!part.isObject()) {
                    throw f.error(
                            p + ".content[" + k + "]",
                            p + ".content[" + k + "] must be a string or a content part, got " + Json.kind(part) + " "
                                    + Json.show(part));
                }
            }
        } else {
            throw f.error(
                    p + ".content",
                    p + ".content must be a string, an array of parts or null, got " + Json.kind(content) + " "
                            + Json.show(content));
        }
        JsonNode calls = m.get("tool_calls");
        if (calls != null && !calls.isNull()) {
            if (!calls.isArray())
                throw f.error(p + ".tool_calls", p + ".tool_calls must be an array, got " + Json.kind(calls));
            for (int k = 0; k < calls.size(); k++) {
                Call call = call(calls.get(k), f, p + ".tool_calls[" + k + "]");
                if (s.length() > 0) s.append('\n');
                s.append(call.name())
                        .append(' ')
                        .append(
                                call.arguments().isTextual()
                                        ? call.arguments().asText()
                                        : call.arguments().toString());
            }
        }
        return s.toString();
    }

    /** A tool call: its function name and arguments (a JSON string as OpenAI sends it, or an object). */
    record Call(String name, JsonNode arguments) {}

    static Call call(JsonNode c, Fields f, String p) {
        if (!c.isObject()) throw f.error(p, p + " must be an object, got " + Json.kind(c));
        JsonNode fn = c.get("function");
        if (fn == null || !fn.isObject()) throw f.error(p + ".function", p + ".function is missing or not an object");
        String name = f.string(fn, "name", p + ".function.name");
        JsonNode args = fn.get("arguments");
        if (args == null || args.isNull()) args = Json.mapper().createObjectNode();
        if (!args.isTextual() && !args.isObject()) {
            throw f.error(
                    p + ".function.arguments",
                    p + ".function.arguments must be a JSON string or an object, got " + Json.kind(args));
        }
        return new Call(name, args);
    }

    /** The first user message's text (the prompt that identifies a group), or null. */
    static String firstUser(JsonNode messages) {
        StringBuilder s = new StringBuilder();
        for (JsonNode m : messages) {
            JsonNode r = m.get("role");
            if (r != null && ("system".equals(r.asText()) || "developer".equals(r.asText()))) {
                s.append(m.path("content").toString()).append('\u0000');
            }
            if (r != null && "user".equals(r.asText())) {
                return s.append(m.path("content").toString()).toString();
            }
        }
        return null;
    }
}

package dev.apportion.io.importer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * {@code chat}: JSON Lines or a JSON array of conversations
 * {@code {"messages": [...], "group"?, "id"?, "outcome"? | "reward"?, "signals"?}} in the OpenAI
 * message format (see {@link Messages}). Assistant messages may carry {@code "label"} (−1, 0, 1
 * or null: written to the labels file) and {@code "reward"} (the turn's span reward). Without
 * {@code group}, trajectories whose system and first user messages are identical form a group
 * ({@code prompt:<hash>}). {@code tools} and {@code metadata} are accepted and ignored; any other
 * field is an error.
 */
final class ChatImporter {
    static final Set<String> FIELDS =
            Set.of("messages", "group", "id", "outcome", "reward", "signals", "tools", "metadata");

    private ChatImporter() {}

    /** One record as a conversation ({@link ConversationBatch.RecordMapper}). */
    static Conversation conversation(Fields f, JsonNode n, int line, int index) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!FIELDS.contains(name)) {
                throw f.error(
                        name,
                        "unknown field '" + name + "' (known fields: messages, group, id, outcome, reward, "
                                + "signals, tools, metadata)");
            }
        }
        Conversation c = new Conversation(line);
        c.group = f.key(n, "group", "group");
        c.id = f.key(n, "id", "id");
        if (c.id == null) c.id = Integer.toString(index);
        f.trajectory(c.group, c.id);
        if (n.has("outcome") && n.has("reward")) throw f.error("reward", "give either outcome or reward, not both");
        c.outcome = n.has("outcome") ? f.optNumber(n, "outcome", "outcome") : f.optNumber(n, "reward", "reward");
        JsonNode sig = n.get("signals");
        if (sig != null && !sig.isNull()) {
            JsonNode o = f.object(n, "signals", "signals");
            for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                c.signals.put(k, f.number(o.get(k), "signals." + k));
            }
        }
        JsonNode messages = f.array(n, "messages", "messages");
        List<Integer> policy = Messages.append(c, messages, f, "messages", true);
        c.promptKey = Messages.firstUser(messages);
        boolean labelled = false;
        for (int k : policy) if (messages.get(k).has("label")) labelled = true;
        if (labelled) {
            c.labels = new ArrayList<>();
            for (int k : policy) c.labels.add(f.label(messages.get(k).get("label"), "messages[" + k + "].label"));
        }
        return c;
    }
}

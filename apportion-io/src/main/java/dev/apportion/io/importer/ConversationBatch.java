package dev.apportion.io.importer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.io.InputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns {@link Conversation}s into a rollout batch: token counts per turn, consecutive context
 * messages merged into one context span, each policy turn its own policy span; optional states
 * from observations and joined signals; labels checked against the number of policy spans.
 */
final class ConversationBatch {
    /** Trajectory signal: 1 when token counts come from {@link ApproximateTokens}, 0 from a tokenizer file. */
    static final String APPROXIMATE_SIGNAL = "tokens_approximate";

    private ConversationBatch() {}

    /** Maps one import record (a JSON object) to a conversation; errors through {@code f}. */
    @FunctionalInterface
    interface RecordMapper {
        /**
         * @param f field access and errors located at the record's file and line
         * @param n the record
         * @param line the 1-based line the record starts on
         * @param index the 1-based position of the record in the file
         */
        Conversation conversation(Fields f, JsonNode n, int line, int index);
    }

    /**
     * Reads the records of {@code in} ({@link JsonRecords}), maps each with {@code mapper} and
     * builds the batch: the loop every record-per-conversation importer shares.
     */
    static Imported read(Path in, ImportOptions opt, RecordMapper mapper) throws IOException {
        String source = in.toString();
        List<Conversation> out = new ArrayList<>();
        int index = 0;
        for (JsonRecords.Rec r : JsonRecords.read(in, source)) {
            index++;
            out.add(mapper.conversation(new Fields(source, r.line()), r.node(), r.line(), index));
        }
        return build(source, out, opt);
    }

    static Imported build(String source, List<Conversation> convs, ImportOptions opt) throws IOException {
        Map<String, Map<Integer, Map<String, Double>>> joined =
                opt.signals() == null ? Map.of() : readSignals(opt.signals());
        Set<String> used = new HashSet<>();
        recoverGroups(convs);
        RolloutsBuilder b = Rollouts.builder();
        Map<String, Integer> seen = new HashMap<>();
        List<TrajectoryLabels> labels = new ArrayList<>();
        boolean anyLabels = false;
        for (Conversation c : convs) if (c.labels != null) anyLabels = true;
        TokenCounter tokens = opt.tokens();
        for (Conversation c : convs) {
            Fields f = new Fields(source, c.line).trajectory(c.group, c.id);
            Integer first = seen.putIfAbsent(c.group + "\u0000" + c.id, c.line);
            if (first != null)
                throw f.error(
                        "id", "duplicate id '" + c.id + "' in group '" + c.group + "' (first on line " + first + ")");
            try {
                b.trajectory(c.group, c.id);
                if (!Double.isNaN(c.outcome)) b.outcome(c.outcome);
                for (Map.Entry<String, Double> e : c.components.entrySet())
                    b.outcomeComponent(e.getKey(), e.getValue());
                for (Map.Entry<String, Double> e : c.signals.entrySet()) b.signal(e.getKey(), e.getValue());
                b.signal(APPROXIMATE_SIGNAL, tokens.exact() ? 0 : 1);
                String key = c.group + "\u0000" + c.id;
                Map<Integer, Map<String, Double>> extra = joined.getOrDefault(key, Map.of());
                if (!extra.isEmpty()) used.add(key);
                Map<String, Double> trajExtra = extra.get(-1);
                if (trajExtra != null)
                    for (Map.Entry<String, Double> e : trajExtra.entrySet()) b.signal(e.getKey(), e.getValue());
                int policyIndex = 0;
                int contextTokens = 0;
                boolean pendingContext = false;
                StringBuilder observation = new StringBuilder();
                String lastObservation = "";
                int sinceObservation = 0;
                for (Conversation.Turn t : c.turns) {
                    int n = tokens.count(t.text());
                    if (!t.policy()) {
                        if (!pendingContext) observation.setLength(0);
                        contextTokens += n;
                        pendingContext = true;
                        if (observation.length() > 0) observation.append('\n');
                        observation.append(t.text());
                        continue;
                    }
                    if (pendingContext) {
                        b.span(Role.CONTEXT, contextTokens);
                        contextTokens = 0;
                        pendingContext = false;
                        lastObservation = observation.toString();
                        sinceObservation = 0;
                    }
                    String state = opt.stateFromObservation() ? stateKey(lastObservation, sinceObservation) : null;
                    b.span(Role.POLICY, n, t.reward(), state, t.agent());
                    Map<String, Double> s = extra.get(policyIndex);
                    if (s != null)
                        for (Map.Entry<String, Double> e : s.entrySet()) b.spanSignal(e.getKey(), e.getValue());
                    policyIndex++;
                    sinceObservation++;
                }
                if (pendingContext) b.span(Role.CONTEXT, contextTokens);
                for (Integer k : extra.keySet()) {
                    if (k >= policyIndex) {
                        throw new InputException(
                                opt.signals().toString(),
                                0,
                                "span",
                                "trajectory '" + c.id + "' (group '"
                                        + c.group + "'): signals for policy span " + k + " but the trajectory has "
                                        + policyIndex
                                        + " policy spans");
                    }
                }
            } catch (RolloutException e) {
                throw f.error(e.field(), e.getMessage());
            }
            if (anyLabels) {
                List<Integer> l = c.labels != null ? c.labels : nulls(c.policyTurns());
                if (l.size() != c.policyTurns()) {
                    throw f.error("labels", "has " + l.size() + " labels but " + c.policyTurns() + " policy turns");
                }
                labels.add(
                        c.firstErrorGiven
                                ? new TrajectoryLabels(c.group, c.id, l, c.firstError)
                                : TrajectoryLabels.firstNegative(c.group, c.id, l));
            }
        }
        for (String key : joined.keySet()) {
            if (!used.contains(key) && !joined.get(key).isEmpty()) {
                String[] p = key.split("\u0000", 2);
                throw new InputException(
                        opt.signals().toString(),
                        0,
                        "id",
                        "signals name trajectory '" + p[1] + "' of group '" + p[0]
                                + "', which the input does not have");
            }
        }
        Rollouts batch;
        try {
            batch = b.build();
        } catch (RolloutException e) {
            throw new InputException(source, 0, e.field(), e.getMessage());
        }
        return new Imported(batch, labels, tokens.name());
    }

    private static List<Integer> nulls(int n) {
        List<Integer> l = new ArrayList<>();
        for (int k = 0; k < n; k++) l.add(null);
        return l;
    }

    /** Trajectories without a group get the group of their prompt ({@code prompt:<hash>}), or their own. */
    private static void recoverGroups(List<Conversation> convs) {
        for (Conversation c : convs) {
            if (c.group != null) continue;
            c.group = c.promptKey != null ? "prompt:" + hash(c.promptKey) : "single:" + c.id;
        }
    }

    /** The state of a policy turn: the hash of the last observation and how many turns followed it. */
    static String stateKey(String observation, int sinceObservation) {
        return "obs:" + hash(observation) + (sinceObservation == 0 ? "" : "+" + sinceObservation);
    }

    /** First 16 hex digits of the SHA-256 of the UTF-8 text. */
    static String hash(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            StringBuilder s = new StringBuilder();
            for (int k = 0; k < 8; k++) s.append(String.format("%02x", d[k] & 0xff));
            return s.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads a signals file: lines {@code {"group", "id", "span"?, "signals": {name: number}}}; {@code span} is
     * the policy-span index (0-based, as in the labels file); without it the signals are trajectory signals.
     *
     * @return (group NUL id) → span (−1 = trajectory) → name → value
     */
    static Map<String, Map<Integer, Map<String, Double>>> readSignals(Path file) throws IOException {
        Map<String, Map<Integer, Map<String, Double>>> out = new LinkedHashMap<>();
        String source = file.toString();
        for (JsonRecords.Rec r : JsonRecords.read(file, source)) {
            Fields f = new Fields(source, r.line());
            JsonNode n = r.node();
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (!List.of("group", "id", "span", "signals").contains(name)) {
                    throw f.error(name, "unknown field '" + name + "' (known fields: group, id, span, signals)");
                }
            }
            String group = f.key(n, "group", "group");
            if (group == null) throw f.error("group", "group is missing");
            String id = f.key(n, "id", "id");
            if (id == null) throw f.error("id", "id is missing");
            f.trajectory(group, id);
            int span = -1;
            JsonNode s = n.get("span");
            if (s != null && !s.isNull()) {
                span = f.integer(s, "span");
                if (span < 0) throw f.error("span", "span must be >= 0, got " + span);
            }
            JsonNode sig = f.object(n, "signals", "signals");
            Map<String, Double> values = out.computeIfAbsent(group + "\u0000" + id, k -> new HashMap<>())
                    .computeIfAbsent(span, k -> new LinkedHashMap<>());
            for (Iterator<Map.Entry<String, JsonNode>> it = sig.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String path = "signals." + e.getKey();
                if (values.containsKey(e.getKey())) throw f.error(path, path + " is given twice for this span");
                values.put(e.getKey(), f.number(e.getValue(), path));
            }
        }
        return out;
    }
}

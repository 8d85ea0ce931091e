package dev.apportion.server;

import dev.apportion.core.rollout.Rollouts;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Pre-flight findings on a rollout batch, as a trainer wants them before it spends a step on
 * the batch: groups whose trajectories all score the same (every group-normalised advantage is
 * 0), singleton groups (no baseline), trajectories without policy tokens, rewards placed on
 * context tokens, non-finite values and mask values other than 0/1 (the last two only reach
 * here through the binary body; the JSONL reader refuses them as unreadable lines).
 *
 * <p>This is the service's own small findings API. Its findings have the shape of the project's
 * doctor ({@code severity}, {@code code}, {@code message}, {@code group}, {@code id}), so that
 * when {@code dev.apportion.io.doctor.Doctor} reaches the main branch,
 * {@code CreditService.validate} can call {@code Doctor.examine(batch, estimator, params)} in place
 * of {@link #check} and the estimator trial, and keep the response. Stateless.
 */
public final class BatchCheck {
    /** Findings of one code beyond this many are summarised in one extra finding. */
    static final int MAX_PER_CODE = 20;

    private BatchCheck() {
    }

    /** One finding: severity {@code error} (the batch cannot be trained on) or {@code warning}. */
    public record Finding(String severity, String code, String message, String group, String trajectory, int line) {
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("severity", severity);
            m.put("code", code);
            m.put("message", message);
            if (group != null) m.put("group", group);
            if (trajectory != null) m.put("id", trajectory);
            if (line > 0) m.put("line", line);
            return m;
        }
    }

    /** Collects findings, at most {@link #MAX_PER_CODE} per code plus a count of the rest. */
    public static final class Findings {
        private final List<Finding> list = new ArrayList<>();
        private final Map<String, Integer> perCode = new LinkedHashMap<>();

        public void add(String severity, String code, String message, String group, String trajectory, int line) {
            int n = perCode.merge(code, 1, Integer::sum);
            if (n <= MAX_PER_CODE) list.add(new Finding(severity, code, message, group, trajectory, line));
        }

        /** The findings, with one summary finding per code that overflowed. */
        public List<Finding> list() {
            List<Finding> out = new ArrayList<>(list);
            for (Map.Entry<String, Integer> e : perCode.entrySet()) {
                if (e.getValue() > MAX_PER_CODE) {
                    String sev = list.stream().filter(f -> f.code().equals(e.getKey())).findFirst().map(Finding::severity).orElse("warning");
                    out.add(new Finding(sev, e.getKey(), (e.getValue() - MAX_PER_CODE) + " more findings of this kind", null, null, 0));
                }
            }
            return out;
        }

        /** How many findings of each code were seen (before truncation). */
        public Map<String, Integer> counts() {
            return perCode;
        }

        public boolean hasErrors() {
            return list.stream().anyMatch(f -> f.severity().equals("error"));
        }
    }

    /** Checks a decoded binary body before it becomes a batch: mask values and non-finite numbers. */
    public static void checkArrays(PaddedBinary.Batch b, Findings out) {
        int len = b.length();
        for (int k = 0; k < b.mask().length; k++) {
            int v = b.mask()[k] & 0xff;
            if (v > 1) {
                out.add("error", "mask_value", "response_mask[" + k / len + "][" + k % len + "] is " + v + "; it must be 0 or 1",
                        Integer.toString(b.index()[k / len]), "row" + k / len, 0);
            }
        }
        for (Map.Entry<String, float[]> e : b.rowArrays().entrySet()) {
            float[] a = e.getValue();
            for (int i = 0; i < a.length; i++) {
                if (Float.isInfinite(a[i])) {
                    out.add("error", "non_finite", e.getKey() + "[" + i + "] is " + a[i], Integer.toString(b.index()[i]), "row" + i, 0);
                }
            }
        }
        for (Map.Entry<String, float[]> e : b.tokenArrays().entrySet()) {
            float[] a = e.getValue();
            for (int k = 0; k < a.length; k++) {
                if (!Float.isFinite(a[k])) {
                    int row = k / len;
                    out.add("error", "non_finite", e.getKey() + "[" + row + "][" + k % len + "] is " + a[k],
                            Integer.toString(b.index()[row]), "row" + row, 0);
                }
            }
        }
    }

    /** Checks a readable batch. */
    public static void check(Rollouts b, Findings out) {
        double[] scores = b.scores();
        for (int i = 0; i < scores.length; i++) {
            if (!Double.isFinite(scores[i])) {
                out.add("error", "non_finite", b.describe(i) + ": its score is " + scores[i], b.groupKey(b.trajectoryGroup(i)),
                        b.trajectoryId(i), 0);
            }
        }
        if (!b.hasAnyReward()) {
            out.add("error", "no_reward", "the batch has no reward at all (no outcome, span reward or token reward)", null, null, 0);
        }
        int[] members = b.groupMembers();
        int[] start = b.groupMemberStart();
        for (int g = 0; g < b.groupCount(); g++) {
            int size = b.groupSize(g);
            String key = b.groupKey(g);
            if (size == 1) {
                out.add("warning", "singleton_group", "group '" + key + "' has a single trajectory: group-relative estimators "
                        + "have no baseline for it and give it zero advantage", key, b.trajectoryId(members[start[g]]), 0);
                continue;
            }
            double first = scores[members[start[g]]];
            boolean same = true;
            for (int k = start[g] + 1; k < start[g] + size && same; k++) same = scores[members[k]] == first;
            if (same && b.hasAnyReward()) {
                out.add("warning", "degenerate_group", String.format(Locale.ROOT, "group '%s': all %d trajectories score %s; "
                        + "group-normalised advantages (GRPO, RLOO, ...) are 0 for the whole group", key, size, fmt(first)), key, null, 0);
            }
        }
        float[] reward = b.tokenSignal(Rollouts.REWARD);
        byte[] mask = b.mask();
        for (int i = 0; i < b.trajectoryCount(); i++) {
            if (b.policyTokenCount(i) == 0) {
                out.add("warning", "no_policy_tokens", b.describe(i) + " has no policy token (its response mask is all 0); "
                        + "it receives no credit", b.groupKey(b.trajectoryGroup(i)), b.trajectoryId(i), 0);
            }
            if (reward != null) {
                int off = 0;
                int firstAt = -1;
                for (int t = b.tokenStart(i); t < b.tokenEnd(i); t++) {
                    if (mask[t] == 0 && reward[t] != 0f) {
                        if (firstAt < 0) firstAt = t - b.tokenStart(i);
                        off++;
                    }
                }
                if (off > 0) {
                    out.add("warning", "reward_off_mask", b.describe(i) + ": " + off + " token reward(s) sit on context "
                            + "positions (first at position " + firstAt + "); token-level estimators see them, outcome sums include them",
                            b.groupKey(b.trajectoryGroup(i)), b.trajectoryId(i), 0);
                }
            }
        }
    }

    /** Batch size figures for the validate answer. */
    public static Map<String, Object> summary(Rollouts b) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("trajectories", b.trajectoryCount());
        m.put("groups", b.groupCount());
        m.put("tokens", b.tokenCount());
        long policy = 0;
        for (int i = 0; i < b.trajectoryCount(); i++) policy += b.policyTokenCount(i);
        m.put("policy_tokens", policy);
        return m;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}

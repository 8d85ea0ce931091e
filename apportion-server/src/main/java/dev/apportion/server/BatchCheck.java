package dev.apportion.server;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The findings list of {@code POST /v1/validate} and the checks the doctor
 * ({@code dev.apportion.io.doctor.Doctor}) cannot make because they come before a batch exists:
 * a binary body's raw arrays with mask values other than 0/1 ({@code mask_value}) or non-finite
 * numbers ({@code non_finite}, the doctor's code for the same fault). Everything about a
 * readable batch is the doctor's ({@code CreditService.validate}). Findings keep the doctor's
 * shape ({@code severity}, {@code code}, {@code message}, {@code group}, {@code id}) plus the
 * body {@code line} of an unreadable JSONL line. Stateless.
 */
public final class BatchCheck {
    /** Findings of one code beyond this many are summarised in one extra finding. */
    static final int MAX_PER_CODE = 20;

    private BatchCheck() {}

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
                    String sev = list.stream()
                            .filter(f -> f.code().equals(e.getKey()))
                            .findFirst()
                            .map(Finding::severity)
                            .orElse("warning");
                    out.add(new Finding(
                            sev,
                            e.getKey(),
                            (e.getValue() - MAX_PER_CODE) + " more findings of this kind",
                            null,
                            null,
                            0));
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
                out.add(
                        "error",
                        "mask_value",
                        "response_mask[" + k / len + "][" + k % len + "] is " + v + "; it must be 0 or 1",
                        Integer.toString(b.index()[k / len]),
                        "row" + k / len,
                        0);
            }
        }
        for (Map.Entry<String, float[]> e : b.rowArrays().entrySet()) {
            float[] a = e.getValue();
            for (int i = 0; i < a.length; i++) {
                if (Float.isInfinite(a[i])) {
                    out.add(
                            "error",
                            "non_finite",
                            e.getKey() + "[" + i + "] is " + a[i],
                            Integer.toString(b.index()[i]),
                            "row" + i,
                            0);
                }
            }
        }
        for (Map.Entry<String, float[]> e : b.tokenArrays().entrySet()) {
            float[] a = e.getValue();
            for (int k = 0; k < a.length; k++) {
                if (!Float.isFinite(a[k])) {
                    int row = k / len;
                    out.add(
                            "error",
                            "non_finite",
                            e.getKey() + "[" + row + "][" + k % len + "] is " + a[k],
                            Integer.toString(b.index()[row]),
                            "row" + row,
                            0);
                }
            }
        }
    }
}

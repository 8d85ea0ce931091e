package dev.apportion.io.importer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Human (or derived) labels of one trajectory's turns: one line of a labels file
 * (docs/labels-format.md).
 *
 * @param group the trajectory's group
 * @param id the trajectory's id
 * @param policySpanLabels one entry per policy span in order: +1 good, 0 neutral, −1 bad, null unlabelled
 * @param firstErrorSpan the index (among policy spans) of the first erroneous turn, or null when
 *     there is none or it is unknown
 */
public record TrajectoryLabels(String group, String id, List<Integer> policySpanLabels, Integer firstErrorSpan) {
    public TrajectoryLabels {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(id, "id");
        policySpanLabels = Collections.unmodifiableList(new ArrayList<>(policySpanLabels));
        for (Integer l : policySpanLabels) {
            if (l != null && (l < -1 || l > 1))
                throw new IllegalArgumentException("label must be -1, 0, 1 or null, got " + l);
        }
        if (firstErrorSpan != null && (firstErrorSpan < 0 || firstErrorSpan >= policySpanLabels.size())) {
            throw new IllegalArgumentException(
                    "first_error_span " + firstErrorSpan + " is outside 0.." + (policySpanLabels.size() - 1));
        }
    }

    /** Labels whose first error is the first −1 label (or null when no turn is −1). */
    public static TrajectoryLabels firstNegative(String group, String id, List<Integer> labels) {
        Integer first = null;
        for (int k = 0; k < labels.size(); k++) {
            if (labels.get(k) != null && labels.get(k) == -1) {
                first = k;
                break;
            }
        }
        return new TrajectoryLabels(group, id, labels, first);
    }
}

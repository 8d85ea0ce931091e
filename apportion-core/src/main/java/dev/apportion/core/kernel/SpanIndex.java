package dev.apportion.core.kernel;

import dev.apportion.core.rollout.Rollouts;

/**
 * The selected spans of a batch in trajectory order, as a compressed table: entries
 * {@code offsets[i] .. offsets[i+1]} of {@code spans} are trajectory {@code i}'s selected spans and
 * {@code trajectory[k]} is the trajectory of entry {@code k}. The one builder behind
 * {@link SpanTable}, the base of {@link PaperSteps} (every policy span) and {@link TurnTable} (non-empty policy spans).
 *
 * <p>Cost: one flat pass over the span roles (and token offsets) that counts the selected spans,
 * one per trajectory that records them and their trajectory into arrays of the exact size; the loops
 * read the batch's arrays directly (no predicate call per span), which matters on the multi-turn
 * and multi-agent shapes, where a batch has tens of thousands of short spans.
 */
record SpanIndex(int[] offsets, int[] spans, int[] trajectory) {

    /**
     * The policy spans of {@code batch}, grouped by trajectory; with {@code nonEmptyOnly} only those
     * that cover at least one token.
     */
    static SpanIndex policy(Rollouts batch, boolean nonEmptyOnly) {
        int n = batch.trajectoryCount();
        int[] spanOff = batch.trajectorySpanOffsets();
        int[] tokOff = batch.spanTokenOffsets();
        int[] off = new int[n + 1];
        int first = spanOff[0];
        int last = spanOff[n];
        int k = 0;
        for (int s = first; s < last; s++) {
            k += batch.isPolicySpan(s) && (!nonEmptyOnly || tokOff[s + 1] > tokOff[s]) ? 1 : 0;
        }
        int[] sp = new int[k];
        int[] tr = new int[k];
        k = 0;
        for (int i = 0; i < n; i++) {
            for (int s = spanOff[i], e = spanOff[i + 1]; s < e; s++) {
                if (batch.isPolicySpan(s) && (!nonEmptyOnly || tokOff[s + 1] > tokOff[s])) {
                    sp[k] = s;
                    tr[k++] = i;
                }
            }
            off[i + 1] = k;
        }
        return new SpanIndex(off, sp, tr);
    }
}

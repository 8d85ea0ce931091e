package dev.apportion.core.kernel;

import dev.apportion.core.rollout.Rollouts;
import java.util.function.IntPredicate;

/**
 * The selected spans of a batch in trajectory order, as a compressed table: entries
 * {@code offsets[i] .. offsets[i+1]} of {@code spans} are trajectory {@code i}'s selected spans and
 * {@code trajectory[k]} is the trajectory of entry {@code k}. The one builder behind
 * {@link SpanTable}, the base of {@link PaperSteps} (every policy span) and {@link TurnTable} (non-empty policy spans).
 */
record SpanIndex(int[] offsets, int[] spans, int[] trajectory) {

    /** The spans of {@code batch} for which {@code selected} holds, grouped by trajectory. */
    static SpanIndex select(Rollouts batch, IntPredicate selected) {
        int n = batch.trajectoryCount();
        int[] off = new int[n + 1];
        for (int i = 0; i < n; i++) {
            int k = 0;
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) if (selected.test(s)) k++;
            off[i + 1] = off[i] + k;
        }
        int[] sp = new int[off[n]];
        int[] tr = new int[off[n]];
        for (int i = 0; i < n; i++) {
            int k = off[i];
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                if (selected.test(s)) {
                    sp[k] = s;
                    tr[k++] = i;
                }
            }
        }
        return new SpanIndex(off, sp, tr);
    }
}

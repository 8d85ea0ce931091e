package dev.apportion.core.kernel;

import dev.apportion.core.rollout.Rollouts;

/**
 * A selection of a batch's spans grouped by trajectory, stored CSR style: entries
 * {@code [start(i), end(i))} belong to trajectory {@code i}, {@link #span(int)} maps an entry to its
 * global span index and {@link #trajectory(int)} to its trajectory. The shared base of the two
 * segmentations that differ on purpose: {@link PaperSteps} (every policy span, empty ones
 * included) and {@link TurnTable} (non-empty policy spans only).
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public abstract sealed class SpanTable permits PaperSteps, TurnTable {
    final int[] offsets;
    final int[] spans;
    final int[] trajectory;

    SpanTable(SpanIndex index) {
        this.offsets = index.offsets();
        this.spans = index.spans();
        this.trajectory = index.trajectory();
    }

    /** First entry of trajectory {@code i}. */
    public int start(int i) {
        return offsets[i];
    }

    /** One past the last entry of trajectory {@code i}. */
    public int end(int i) {
        return offsets[i + 1];
    }

    /** Global span index of entry {@code k}. */
    public int span(int k) {
        return spans[k];
    }

    /** Trajectory of entry {@code k}. */
    public int trajectory(int k) {
        return trajectory[k];
    }

    /** Number of trajectories of the batch this table was built from. */
    public int trajectoryCount() {
        return offsets.length - 1;
    }

    /**
     * One value per span of the batch: {@code perEntry[k]} on entry {@code k}'s span, 0 on every
     * span that is not an entry (fresh array).
     *
     * @param perEntry read, one per entry
     */
    public float[] spanValues(Rollouts batch, double[] perEntry) {
        float[] out = new float[batch.spanCount()];
        for (int k = 0; k < spans.length; k++) out[spans[k]] = (float) perEntry[k];
        return out;
    }
}

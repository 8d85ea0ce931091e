package dev.apportion.bench.batch;

import dev.apportion.core.rollout.Rollouts;

/**
 * A sampled rollout batch and the exact truth about it. Truth arrays are indexed like the
 * batch's spans and tokens (read-only). Labels: {@link #DECISIVE} — the action changes the
 * success probability; {@link #IRRELEVANT} — the action changes no expected quantity;
 * {@link #LOCAL} — it changes only immediate rewards (e.g. apples); {@link #NONE} — context.
 */
public final class SampledBatch {
    public static final byte NONE = 0;
    public static final byte DECISIVE = 1;
    public static final byte IRRELEVANT = 2;
    public static final byte LOCAL = 3;

    final Rollouts rollouts;
    final float[] spanTruth;
    final byte[] spanLabel;
    final long[] spanKey;
    final float[] tokenTruth;
    final byte[] tokenLabel;
    final long[] tokenKey;
    final double[] returns;
    final boolean[] success;
    final int[] policySpans;
    final int[] policyTokens;

    SampledBatch(Rollouts rollouts, float[] spanTruth, byte[] spanLabel, long[] spanKey, float[] tokenTruth,
                 byte[] tokenLabel, long[] tokenKey, double[] returns, boolean[] success) {
        this.rollouts = rollouts;
        this.spanTruth = spanTruth;
        this.spanLabel = spanLabel;
        this.spanKey = spanKey;
        this.tokenTruth = tokenTruth;
        this.tokenLabel = tokenLabel;
        this.tokenKey = tokenKey;
        this.returns = returns;
        this.success = success;
        int ns = 0;
        for (int s = 0; s < rollouts.spanCount(); s++) if (rollouts.isPolicySpan(s)) ns++;
        policySpans = new int[ns];
        ns = 0;
        for (int s = 0; s < rollouts.spanCount(); s++) if (rollouts.isPolicySpan(s)) policySpans[ns++] = s;
        byte[] mask = rollouts.mask();
        int nt = 0;
        for (byte b : mask) nt += b;
        policyTokens = new int[nt];
        nt = 0;
        for (int t = 0; t < mask.length; t++) if (mask[t] == 1) policyTokens[nt++] = t;
    }

    public Rollouts rollouts() {
        return rollouts;
    }

    /** True advantage per span (0 on context spans). */
    public float[] spanTruth() {
        return spanTruth;
    }

    public byte[] spanLabel() {
        return spanLabel;
    }

    /** Identity of the decision a span made (state and actions), for grouping repeated decisions. */
    public long[] spanKey() {
        return spanKey;
    }

    /** True advantage per token (0 on context tokens). */
    public float[] tokenTruth() {
        return tokenTruth;
    }

    public byte[] tokenLabel() {
        return tokenLabel;
    }

    /** State-action pair index of each policy token (-1 on context tokens). */
    public long[] tokenKey() {
        return tokenKey;
    }

    /** Sampled total return per trajectory. */
    public double[] returns() {
        return returns;
    }

    /** Success per trajectory. */
    public boolean[] success() {
        return success;
    }

    /** Indices of the policy spans, in order. */
    public int[] policySpans() {
        return policySpans;
    }

    /** Indices of the policy tokens, in order. */
    public int[] policyTokens() {
        return policyTokens;
    }
}

package dev.apportion.core.kernel;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.Whitening;

/**
 * The reasoning steps of a batch, as the paper-level step estimators see them: step {@code k} of
 * trajectory {@code i} is its {@code k}-th policy span (empty policy spans included, so that the
 * position of a step never depends on its length), and context spans between steps are not
 * steps. Steps are stored CSR style: the steps of trajectory {@code i} are
 * {@code [start(i), end(i))}, and {@link #span(int)} maps a step to its global span index.
 *
 * <p>Also holds the small kernels those estimators share: reading a span signal per step with
 * precise errors, laying per-step values over tokens, step-level GAE, and batch whitening that
 * tolerates an empty selection.
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public final class PaperSteps extends SpanTable {
    private PaperSteps(SpanIndex index) {
        super(index);
    }

    /** The steps (policy spans) of every trajectory of {@code batch}. */
    public static PaperSteps of(Rollouts batch) {
        return new PaperSteps(SpanIndex.policy(batch, false));
    }

    /** Number of steps in the batch. */
    public int total() {
        return spans.length;
    }

    /** Number of steps of trajectory {@code i}. */
    public int count(int i) {
        return offsets[i + 1] - offsets[i];
    }

    /**
     * Reads span signal {@code name} on every step.
     *
     * @param allowMissing when false, a step without a value (NaN) is an error; when true it is
     *     returned as NaN for the caller to handle
     * @return one value per step (fresh array)
     * @throws RolloutException when the batch has no such span signal, or (unless
     *     {@code allowMissing}) a step lacks it; the message names the estimator, the trajectory,
     *     the span and what produces the signal
     */
    public double[] signal(Rollouts batch, String name, String estimator, String producedBy, boolean allowMissing) {
        float[] v = batch.spanSignal(name);
        if (v == null) {
            throw new RolloutException(
                    "estimator '" + estimator + "' needs the span signal '" + name + "' (" + producedBy
                            + ") on every policy span, which the batch lacks (spans[].signals." + name + ")",
                    -1,
                    "spans[].signals." + name);
        }
        double[] out = new double[spans.length];
        for (int k = 0; k < spans.length; k++) {
            float x = v[spans[k]];
            if (Float.isNaN(x) && !allowMissing) throw missing(batch, k, name, estimator, producedBy);
            out[k] = x;
        }
        return out;
    }

    /** The error for step {@code k} lacking span signal {@code name}. */
    public RolloutException missing(Rollouts batch, int k, String name, String estimator, String producedBy) {
        int i = trajectory[k];
        int local = spans[k] - batch.spanStart(i);
        return new RolloutException(
                batch.describe(i) + ": step " + (k - offsets[i]) + " (spans[" + local + "]) has no signals." + name
                        + ", which estimator '" + estimator + "' needs (" + producedBy + ")",
                i,
                "spans[" + local + "].signals." + name);
    }

    /**
     * Writes {@code perStep[k]} on every token of step {@code k}; other tokens are left as they
     * are (callers pass a fresh, zeroed array). A plain fill: split only when it pays
     * ({@link Execution.Cost#LIGHT}).
     *
     * @param perStep read, one per step
     * @param out written, one per token
     */
    public void broadcast(Rollouts batch, double[] perStep, float[] out, Execution exec) {
        exec.forTrajectories(batch, Execution.Cost.LIGHT, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                for (int k = offsets[i]; k < offsets[i + 1]; k++) {
                    int s = spans[k];
                    java.util.Arrays.fill(out, batch.spanTokenStart(s), batch.spanTokenEnd(s), (float) perStep[k]);
                }
            }
        });
    }

    /**
     * As {@link #broadcast}, but writes every token of the batch: {@code perStep[k]} on step
     * {@code k}'s tokens and 0 on context tokens (for reused arrays of unspecified contents); a
     * {@link Execution.Cost#LIGHT} fill.
     *
     * @param perStep read, one per step
     * @param out written, one per token
     */
    public void broadcastAll(Rollouts batch, double[] perStep, float[] out, Execution exec) {
        exec.forTrajectories(batch, Execution.Cost.LIGHT, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                int k = offsets[i];
                for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                    float v = 0f;
                    if (k < offsets[i + 1] && spans[k] == s) v = (float) perStep[k++];
                    java.util.Arrays.fill(out, batch.spanTokenStart(s), batch.spanTokenEnd(s), v);
                }
            }
        });
    }

    /**
     * Step rewards for value-based step estimators: the trajectory outcome on its last step and,
     * when {@code spanRewards}, each step's own span reward (NaN counts 0) added on that step.
     * A trajectory without steps has no reward to place.
     *
     * @return one reward per step (fresh array)
     * @throws RolloutException when a trajectory with steps has no outcome
     */
    public double[] outcomeRewards(Rollouts batch, String estimator, boolean spanRewards) {
        float[] o = batch.outcome();
        float[] sr = batch.spanReward();
        double[] r = new double[spans.length];
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            if (count(i) == 0) continue;
            float v = o == null ? Float.NaN : o[i];
            if (Float.isNaN(v)) {
                throw new RolloutException(
                        batch.describe(i) + ": estimator '" + estimator
                                + "' needs the outcome (the verifier or reward model) but it is absent",
                        i,
                        "outcome");
            }
            r[end(i) - 1] = v;
            if (spanRewards && sr != null) {
                for (int k = start(i); k < end(i); k++) {
                    float x = sr[spans[k]];
                    if (!Float.isNaN(x)) r[k] += x;
                }
            }
        }
        return r;
    }

    /**
     * Step-level GAE of one trajectory, backwards from its last step:
     * {@code δ_k = r_k + γ·V_{k+1} − V_k}, {@code A_k = δ_k + γλ·A_{k+1}}, with {@code V_K = 0} after the
     * last step (the episode ends) and {@code A_K = 0}.
     *
     * @param rewards read, indices {@code [from, to)}
     * @param values read, indices {@code [from, to)}: the value of the state each step starts from
     * @param adv written, indices {@code [from, to)}
     */
    public static void gae(
            double[] rewards, double[] values, int from, int to, double gamma, double lambda, double[] adv) {
        double nextValue = 0;
        double nextAdv = 0;
        for (int k = to - 1; k >= from; k--) {
            double delta = rewards[k] + gamma * nextValue - values[k];
            nextAdv = delta + gamma * lambda * nextAdv;
            adv[k] = nextAdv;
            nextValue = values[k];
        }
    }

    /**
     * The credit of per-step advantages with per-step returns: both broadcast onto each step's
     * policy tokens, span advantages = {@code adv} (unwhitened), and, with {@code whiten}, the
     * token advantages whitened by {@link #whitenUnbiased} (eps 1e-8; diagnostics
     * {@code whiten_mean}, {@code whiten_scale} when it applies).
     *
     * @param adv read (one value per step)
     * @param returns read (one value per step)
     */
    public Credit.Builder credit(Rollouts batch, double[] adv, double[] returns, boolean whiten, Execution execution) {
        float[] out = new float[batch.tokenCount()];
        broadcast(batch, adv, out, execution);
        float[] ret = new float[batch.tokenCount()];
        broadcast(batch, returns, ret, execution);
        Credit.Builder c = Credit.builder(out).returns(ret).spanAdvantages(spanValues(batch, adv));
        if (whiten) {
            Whitening.Stats st = whitenUnbiased(out, batch.mask(), 1e-8);
            if (st != null) c.diagnostic("whiten_mean", st.mean()).diagnostic("whiten_scale", st.scale());
        }
        return c;
    }

    /**
     * {@link #credit(Rollouts, double[], double[], boolean, Execution)} writing into {@code buffers}
     * when given (every token overwritten). The token advantages are constant on each step, so the
     * whitening is done per step with {@link RepeatedSum#whitenConstantRuns} (the same numbers as
     * {@link #whitenUnbiased} over the tokens, bit for bit) and the result broadcast once.
     *
     * @param buffers reused output arrays, or null for fresh ones
     */
    public Credit.Builder credit(
            Rollouts batch,
            double[] adv,
            double[] returns,
            boolean whiten,
            Execution execution,
            Credit.Buffers buffers) {
        if (buffers == null) return credit(batch, adv, returns, whiten, execution);
        int tokens = batch.tokenCount();
        float[] out = buffers.advantages(tokens);
        float[] ret = buffers.returns(tokens);
        broadcastAll(batch, returns, ret, execution);
        Whitening.Stats st = null;
        if (whiten) {
            int k = spans.length;
            long policy = 0;
            float[] x = new float[k];
            int[] count = new int[k];
            for (int j = 0; j < k; j++) {
                x[j] = (float) adv[j];
                count[j] = batch.spanTokenEnd(spans[j]) - batch.spanTokenStart(spans[j]);
                policy += count[j];
            }
            if (policy >= 2) {
                float[] y = new float[k];
                st = RepeatedSum.whitenConstantRuns(
                        x, count, y, Whitening.Variance.UNBIASED, Whitening.Epsilon.ADD, 1e-8, true, true);
                double[] wide = new double[k];
                for (int j = 0; j < k; j++) wide[j] = y[j];
                broadcastAll(batch, wide, out, execution);
            }
        }
        if (st == null) broadcastAll(batch, adv, out, execution);
        Credit.Builder c = Credit.builder(out).returns(ret).spanAdvantages(spanValues(batch, adv));
        if (st != null) c.diagnostic("whiten_mean", st.mean()).diagnostic("whiten_scale", st.scale());
        return c;
    }

    /**
     * Token-weighted batch whitening over the tokens with {@code mask != 0}, as verl's and
     * VinePPO's {@code masked_whiten}: {@code (x − μ)·rsqrt(var + eps)} with the unbiased variance.
     * When fewer than two tokens are selected the values are left unchanged and null is returned.
     *
     * @param values read and written
     * @param mask read
     */
    public static Whitening.Stats whitenUnbiased(float[] values, byte[] mask, double eps) {
        long n = 0;
        for (byte m : mask) if (m != 0) n++;
        if (n < 2) return null;
        return Whitening.whiten(values, mask, Whitening.Variance.UNBIASED, Whitening.Epsilon.ADD, eps, true, true);
    }
}

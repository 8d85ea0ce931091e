package dev.apportion.core.estimator.token;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.rollout.Rollouts;

/**
 * The computation shared by {@link OptimalTokenBaseline} and {@link TirOptimalTokenBaseline}:
 * reward-to-go, the cumulative path-variance proxy, a per-group per-position weighted baseline.
 * Positions are either offsets from an origin in the trajectory (absolute) or ranks among the
 * trajectory's policy tokens (compacted).
 */
final class OtbKernel {
    /** Token signal: Σ_v π(v)² of the sampling policy's next-token distribution at each token. */
    static final String SUM_PI_SQUARED = "sum_pi_squared";
    /** Token signal: truncated importance weight between the rollout and training policies. */
    static final String ROLLOUT_IS_WEIGHT = "rollout_is_weight";

    static final String SUM_PI_SQUARED_BY = "the actor, Σ of squared next-token probabilities over the vocabulary "
            + "(verl actor.calculate_sum_pi_squared=true)";
    static final String OLD_LOGPROB_BY = "the sampling policy's log-probability of each token";

    static final SignalRequirement[] REQUIRES = {
        SignalRequirement.token(Rollouts.REWARD, "any reward: outcome, span or token reward"),
        SignalRequirement.token(Rollouts.OLD_LOGPROB, OLD_LOGPROB_BY),
        SignalRequirement.token(SUM_PI_SQUARED, SUM_PI_SQUARED_BY)
    };

    static final ParamSpec EPSILON =
            ParamSpec.real("epsilon", 1e-8, 0.0, null, "added to the baseline's denominator Σ W");
    static final ParamSpec USE_IS_WEIGHTS = ParamSpec.bool(
            "rollout_is_weights",
            true,
            "scale each token's w by rollout_is_weight² when the batch carries that token signal");

    static ParamSpec handleZeroTail(boolean def) {
        return ParamSpec.bool(
                "handle_zero_tail",
                def,
                "baseline 0 on the part of a group's unique longest trajectory beyond the second-longest one's length");
    }

    /** Origin of the per-position baseline ({@code positions_from}). */
    enum PositionsFrom {
        /** the trajectory's first policy token (verl's response tensor) */
        FIRST_POLICY_TOKEN,
        /** its first token (verl's padded rows read as trajectories) */
        TRAJECTORY_START
    }

    static final ParamSpec POSITIONS_FROM = ParamSpec.choice(
            "positions_from",
            PositionsFrom.FIRST_POLICY_TOKEN,
            "origin of the per-position baseline: the trajectory's first policy token (the response start, as verl's "
                    + "response tensor) or its first token (verl's padded rows read as trajectories)");

    private OtbKernel() {}

    static Credit assign(
            Rollouts batch,
            Params params,
            Execution exec,
            String id,
            boolean compacted,
            dev.apportion.core.credit.Credit.Buffers buffers) {
        float[] oldLogprob = batch.requireTokenSignal(Rollouts.OLD_LOGPROB, id, OLD_LOGPROB_BY);
        float[] sumPiSq = batch.requireTokenSignal(SUM_PI_SQUARED, id, SUM_PI_SQUARED_BY);
        float[] isw = params.getBoolean(USE_IS_WEIGHTS.name()) ? batch.tokenSignal(ROLLOUT_IS_WEIGHT) : null;
        double eps = params.getDouble(EPSILON.name());
        boolean zeroTail = params.getBoolean("handle_zero_tail");
        boolean fromStart = !compacted
                && params.getChoice(POSITIONS_FROM.name(), PositionsFrom.class) == PositionsFrom.TRAJECTORY_START;
        RewardShaping rewards = RewardShaping.dense(batch, id);

        int n = batch.tokenCount();
        // the advantages array holds the cumulative W on policy tokens until the group pass
        // replaces it by G − B (no token-sized scratch; groups are disjoint, so a group reads
        // only W that no other group overwrites)
        float[] adv = buffers == null ? new float[n] : buffers.advantages(n);
        float[] ret = buffers == null ? new float[n] : buffers.returns(n); // G on policy tokens, 0 on context tokens
        int trajectories = batch.trajectoryCount();
        int[] origin = new int[trajectories]; // token index of position 0
        int[] policyCount = new int[trajectories];
        int maxLen = RewardShaping.maxTrajectoryLength(batch);
        int[] spanOff = batch.trajectorySpanOffsets();
        int[] tok = batch.spanTokenOffsets();

        // 1. reward-to-go G (into ret) and cumulative path-variance proxy W (into adv), per trajectory
        exec.forTrajectories(batch, (chunk, from, to) -> {
            float[] rho = new float[maxLen];
            for (int i = from; i < to; i++) {
                rewards.fill(i, rho);
                int base = batch.tokenStart(i);
                double g = 0;
                int first = -1;
                int count = 0;
                for (int s = spanOff[i + 1] - 1; s >= spanOff[i]; s--) {
                    int t0 = tok[s];
                    int t1 = tok[s + 1];
                    if (!batch.isPolicySpan(s)) {
                        java.util.Arrays.fill(adv, t0, t1, 0f);
                        java.util.Arrays.fill(ret, t0, t1, 0f);
                        continue;
                    }
                    for (int t = t1 - 1; t >= t0; t--) {
                        g += rho[t - base];
                        ret[t] = (float) g;
                    }
                    if (t1 > t0) {
                        first = t0;
                        count += t1 - t0;
                    }
                }
                policyCount[i] = count;
                origin[i] = fromStart || first < 0 ? base : first;
                double w = 0;
                for (int s = spanOff[i]; s < spanOff[i + 1]; s++) {
                    if (batch.isPolicySpan(s)) {
                        if (isw == null) {
                            for (int t = tok[s]; t < tok[s + 1]; t++) {
                                w += 1 - 2 * Math.exp(oldLogprob[t]) + sumPiSq[t];
                                adv[t] = (float) w;
                            }
                        } else {
                            for (int t = tok[s]; t < tok[s + 1]; t++) {
                                double wt = 1 - 2 * Math.exp(oldLogprob[t]) + sumPiSq[t];
                                wt *= (double) isw[t] * isw[t];
                                w += wt;
                                adv[t] = (float) w;
                            }
                        }
                    }
                }
            }
        });

        // 2. per group and position: B_p = Σ G·W / (Σ W + ε); A = G − B on policy tokens
        int[] members = batch.groupMembers();
        int[] memberStart = batch.groupMemberStart();
        int maxPositions = compacted ? max(policyCount) : maxLen;
        exec.forGroups(batch, (chunk, from, to) -> {
            double[] num = new double[maxPositions];
            double[] den = new double[maxPositions];
            for (int grp = from; grp < to; grp++) {
                int m0 = memberStart[grp];
                int m1 = memberStart[grp + 1];
                int eligible = 0;
                int longest = 0;
                int maxCount = -1;
                int second = -1;
                int argMax = -1;
                boolean tie = false;
                for (int k = m0; k < m1; k++) {
                    int i = members[k];
                    int c = policyCount[i];
                    if (compacted && c == 0) continue; // TIR leaves empty trajectories out of the group
                    eligible++;
                    longest = Math.max(longest, extent(batch, i, origin, policyCount, compacted));
                    if (c > maxCount) {
                        second = maxCount;
                        maxCount = c;
                        argMax = i;
                        tie = false;
                    } else if (c == maxCount) {
                        second = c;
                        tie = true;
                    } else if (c > second) {
                        second = c;
                    }
                }
                if (eligible <= 1) { // a group of one: no baseline, A = G
                    for (int k = m0; k < m1; k++) copyReturns(batch, members[k], ret, adv);
                    continue;
                }
                java.util.Arrays.fill(num, 0, longest, 0.0);
                java.util.Arrays.fill(den, 0, longest, 0.0);
                for (int k = m0; k < m1; k++) { // members in group order: the sums' order
                    int i = members[k];
                    if (compacted && policyCount[i] == 0) continue;
                    int p = 0;
                    for (int s = spanOff[i]; s < spanOff[i + 1]; s++) {
                        if (!batch.isPolicySpan(s)) continue;
                        int t0 = tok[s];
                        int len = tok[s + 1] - t0;
                        int pos0 = compacted ? p : t0 - origin[i];
                        for (int j = 0; j < len; j++) {
                            double w = adv[t0 + j];
                            num[pos0 + j] += ret[t0 + j] * w;
                            den[pos0 + j] += w;
                        }
                        p += len;
                    }
                }
                for (int p = 0; p < longest; p++) num[p] = num[p] / (den[p] + eps);
                int zeroFrom = zeroTail && !tie && maxCount > second ? second : Integer.MAX_VALUE;
                for (int k = m0; k < m1; k++) {
                    int i = members[k];
                    int p = 0;
                    for (int s = spanOff[i]; s < spanOff[i + 1]; s++) {
                        if (!batch.isPolicySpan(s)) continue;
                        int t0 = tok[s];
                        int len = tok[s + 1] - t0;
                        int pos0 = compacted ? p : t0 - origin[i];
                        // the baseline is 0 from position zeroFrom on for the unique longest member
                        int cut = i == argMax ? Math.max(0, Math.min(len, zeroFrom - pos0)) : len;
                        for (int j = 0; j < cut; j++) adv[t0 + j] = (float) (ret[t0 + j] - num[pos0 + j]);
                        for (int j = cut; j < len; j++) adv[t0 + j] = (float) (ret[t0 + j] - 0.0);
                        p += len;
                    }
                }
            }
        });
        return Credit.builder(adv)
                .returns(ret)
                .diagnostic("rollout_is_weighted", isw == null ? 0 : 1)
                .build();
    }

    /** Number of positions trajectory {@code i} occupies. */
    private static int extent(Rollouts batch, int i, int[] origin, int[] policyCount, boolean compacted) {
        if (compacted) return policyCount[i];
        int last = batch.lastPolicyToken(i);
        return last < 0 ? 0 : last - origin[i] + 1;
    }

    private static void copyReturns(Rollouts batch, int i, float[] ret, float[] adv) {
        for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
            if (!batch.isPolicySpan(s)) continue;
            System.arraycopy(
                    ret,
                    batch.spanTokenStart(s),
                    adv,
                    batch.spanTokenStart(s),
                    batch.spanTokenEnd(s) - batch.spanTokenStart(s));
        }
    }

    private static int max(int[] a) {
        int m = 0;
        for (int v : a) m = Math.max(m, v);
        return m;
    }
}

package dev.apportion.core.estimator.step;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import dev.apportion.core.testing.RandomBatches;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PureEstimatorTest extends EstimatorContract {
    private static final PureEstimator EST = new PureEstimator();

    @Override
    protected Estimator estimator() {
        return EST;
    }

    @Override
    protected RandomBatches.Options options() {
        return new RandomBatches.Options(4, 2, 6, true, false, true, false);
    }

    @Override
    protected List<Params> parameterSets() {
        return defaultSetsAnd(
                params(Map.of("reward_baseline", "step", "use_kl_estimator_k3", true, "nomask_separator_adv", true)),
                params(Map.of("reward_mode", "VR", "disable_advantage_normalization", true)),
                params(Map.of("reward_mode", "PRM", "step_tokens", "include_end", "disable_weighted_reward", true)),
                params(Map.of("reward_mode", "PRMVR", "credit_form", "sum")));
    }

    static Params params(Map<String, ?> v) {
        return Params.resolve(EST.descriptor(), null, v);
    }

    /**
     * PRM rewards with the raw (unnormalised) advantages the worked examples check: KL coefficient
     * {@code klCoef}, the separator tokens unmasked, and the per-step baseline when {@code stepBaseline}
     * (a mutable map, for tests that vary one more setting).
     */
    private static Map<String, Object> prmRaw(double klCoef, boolean stepBaseline) {
        Map<String, Object> m = new HashMap<>(Map.of(
                "reward_mode",
                "PRM",
                "init_kl_coef",
                klCoef,
                "nomask_separator_adv",
                true,
                "disable_advantage_normalization",
                true));
        if (stepBaseline) m.put("reward_baseline", "step");
        return m;
    }

    /** A trajectory whose steps have {@code ntok[k]} tokens plus their end token, with prm = p[k]. */
    static void traj(RolloutsBuilder b, String group, String id, double outcome, int[] ntok, double[] p) {
        b.trajectory(group, id).outcome(outcome).span(Role.CONTEXT, 2);
        int len = 2;
        for (int k = 0; k < ntok.length; k++) {
            b.span(Role.POLICY, ntok[k] + 1).spanSignal(PureSteps.PRM, p[k]);
            len += ntok[k] + 1;
        }
        b.tokenSignal(Rollouts.LOGPROB, new float[len]).tokenSignal(Rollouts.REF_LOGPROB, new float[len]);
    }

    /**
     * methods-reasoning.md §1 worked example: A has steps of 10, 20, 10 tokens with p(+) = [.9, .2, .7]
     * and is unsolved; B has S = 0.5 over L = 50 tokens and is solved. Token baseline 0.01, VR −1:
     * step returns [−1.999953, −1.899954, −1.099982] before KL and whitening.
     */
    static Rollouts workedExample() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "q", "A", 0, new int[] {10, 20, 10}, new double[] {0.9, 0.2, 0.7});
        traj(b, "q", "B", 1, new int[] {49}, new double[] {0.75});
        return b.build();
    }

    /**
     * The return scan over ranges of several trajectories and over one trajectory per range
     * ({@code splittingAll} with as many threads as trajectories) must agree bit for bit. The whitened advantages must be the plain token
     * loop's (sums in token order over the counted tokens), recomputed here from the returns. Random
     * batches with context and empty spans, every masking and baseline variant, KL on and off.
     */
    @Test
    void interleavedScanAndSpanWhiteningMatchThePlainLoops() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(2026);
        for (int round = 0; round < 30; round++) {
            int trajectories = 5 + r.nextInt(4);
            Rollouts batch = randomBatch(r, trajectories);
            for (int variant = 0; variant < 16; variant++) {
                boolean nomask = (variant & 1) != 0;
                boolean nonzero = (variant & 2) != 0;
                Params p = params(Map.of(
                        "nomask_separator_adv",
                        nomask,
                        "whitening_count",
                        nonzero ? "nonzero" : "unmasked",
                        "reward_baseline",
                        (variant & 4) != 0 ? "step" : "token",
                        "init_kl_coef",
                        (variant & 8) != 0 ? 0.0 : 0.05));
                String where = "round " + round + " variant " + variant;
                Credit seq = EST.assign(batch, p, dev.apportion.core.credit.Execution.sequential());
                try (var ex = dev.apportion.core.credit.Execution.splittingAll(trajectories)) {
                    Credit one = EST.assign(batch, p, ex);
                    assertBits(one.returns(), seq.returns(), where + " returns");
                    assertBits(one.advantages(), seq.advantages(), where + " advantages");
                }
                if (nonzero && !nomask) continue; // the token loop itself
                float[] ret = seq.returns();
                byte[] mask = batch.mask();
                boolean[] end = new boolean[mask.length];
                if (!nomask) {
                    for (int s = 0; s < batch.spanCount(); s++) {
                        if (PureSteps.isStep(batch, s)) end[batch.spanTokenEnd(s) - 1] = true;
                    }
                }
                long count = 0;
                double sum = 0;
                for (int t = 0; t < mask.length; t++) {
                    if (mask[t] == 1 && !end[t]) {
                        sum += ret[t];
                        count++;
                    }
                }
                double mean = sum / count;
                double sq = 0;
                for (int t = 0; t < mask.length; t++) {
                    if (mask[t] == 1 && !end[t]) sq += (ret[t] - mean) * (ret[t] - mean);
                }
                double rstd = 1.0 / Math.sqrt(Math.max(sq / count, 1e-8));
                float[] want = new float[mask.length];
                for (int t = 0; t < mask.length; t++) {
                    if (mask[t] == 1 && !end[t]) want[t] = (float) ((ret[t] - mean) * rstd);
                }
                assertBits(want, seq.advantages(), where + " whitening");
            }
        }
    }

    /**
     * The span-by-span return scan against the plain token loop it replaced (restated here from the
     * formula: step rewards, leave-one-out baselines, verifiable term, KL; one token at a time with a
     * mask test and a step-end test per token), raw bits, on random batches with context and empty
     * spans, for both baselines, KL off / k1 / k3 and masked or kept step ends.
     */
    @Test
    void spanScanIsThePlainTokenLoop() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(77);
        for (int round = 0; round < 40; round++) {
            int trajectories = 4 + 2 * r.nextInt(3);
            Rollouts batch = randomBatch(r, trajectories);
            for (int variant = 0; variant < 24; variant++) {
                boolean stepBaseline = (variant & 1) != 0;
                boolean maskEnds = (variant & 2) == 0;
                boolean includeEnd = (variant & 4) != 0;
                int kl = variant / 8; // 0: off, 1: k1, 2: k3
                double beta = kl == 0 ? 0.0 : 0.05;
                Params p = params(Map.of(
                        "reward_baseline",
                        stepBaseline ? "step" : "token",
                        "nomask_separator_adv",
                        !maskEnds,
                        "step_tokens",
                        includeEnd ? "include_end" : "exclude_end",
                        "init_kl_coef",
                        beta,
                        "use_kl_estimator_k3",
                        kl == 2,
                        "disable_advantage_normalization",
                        true));
                float[] want = plainReturns(batch, stepBaseline, maskEnds, includeEnd, beta, kl == 2);
                Credit got = EST.assign(batch, p, dev.apportion.core.credit.Execution.sequential());
                assertBits(want, got.returns(), "round " + round + " variant " + variant + " returns");
            }
        }
    }

    /** Steps 1–3 of the estimator's formula with the token-by-token backward loop (defaults otherwise). */
    private static float[] plainReturns(
            Rollouts b, boolean stepBaseline, boolean maskEnds, boolean includeEnd, double beta, boolean k3) {
        int n = b.trajectoryCount();
        int[] spanOff = b.trajectorySpanOffsets();
        PureSteps.Scores sc = PureSteps.Scores.of(b, PureSteps.Source.AUTO, "pure");
        double[] stepReward = new double[b.spanCount()];
        double[] o = new double[n];
        int[] steps = new int[n];
        int[] length = new int[n];
        for (int i = 0; i < n; i++) {
            double[] sr = new double[spanOff[i + 1] - spanOff[i]];
            double[] out = new double[sr.length];
            int[] at = new int[sr.length];
            int k = 0;
            for (int s = spanOff[i]; s < spanOff[i + 1]; s++) {
                if (!b.isPolicySpan(s)) continue;
                length[i] += b.spanTokenEnd(s) - b.spanTokenStart(s);
                if (!PureSteps.isStep(b, s)) continue;
                sr[k] = sc.score(b, i, s);
                at[k++] = s;
            }
            steps[i] = k;
            o[i] = PureSteps.softMin(sr, k, 0.1, true, out);
            for (int j = 0; j < k; j++) stepReward[at[j]] = out[j];
        }
        double[] base = new double[n];
        double[] vr = new double[n];
        float[] outcome = b.outcome();
        int[] gs = b.groupMemberStart();
        int[] members = b.groupMembers();
        for (int g = 0; g < b.groupCount(); g++) {
            double sumO = 0, sumPer = 0, sumL = 0, sumV = 0;
            int size = gs[g + 1] - gs[g];
            for (int m = gs[g]; m < gs[g + 1]; m++) {
                int i = members[m];
                sumO += o[i];
                sumPer += steps[i] == 0 ? 0 : o[i] / steps[i];
                sumL += length[i];
                sumV += outcome[i] - 1.0;
            }
            for (int m = gs[g]; m < gs[g + 1]; m++) {
                int i = members[m];
                if (stepBaseline) {
                    base[i] = (sumPer - (steps[i] == 0 ? 0 : o[i] / steps[i])) / (size - 1);
                } else {
                    double denom = sumL - length[i];
                    base[i] = denom == 0 ? 0 : (sumO - o[i]) / denom;
                }
                double v = outcome[i] - 1.0;
                vr[i] = 1.0 * (v - (sumV - v) / (size - 1));
            }
        }
        byte[] mask = b.mask();
        float[] lp = b.tokenSignal(Rollouts.LOGPROB);
        float[] ref = b.tokenSignal(Rollouts.REF_LOGPROB);
        float[] ret = new float[mask.length];
        for (int i = 0; i < n; i++) {
            int last = b.lastPolicyToken(i);
            double g = 0;
            for (int t = b.tokenEnd(i) - 1; t >= b.tokenStart(i); t--) {
                if (mask[t] == 0) continue;
                int s = spanOff[i];
                while (b.spanTokenEnd(s) <= t) s++;
                boolean end = t == b.spanTokenEnd(s) - 1;
                double reward = 0;
                if (end) {
                    int ntok = b.spanTokenEnd(s) - b.spanTokenStart(s) - (includeEnd ? 0 : 1);
                    reward = stepReward[s] - (stepBaseline ? base[i] : base[i] * ntok);
                }
                if (t == last) reward += vr[i];
                if (beta != 0) {
                    double x = (double) lp[t] - ref[t];
                    reward -= beta * (k3 ? Math.exp(-x) - 1 + x : x);
                }
                g += reward;
                ret[t] = maskEnds && end ? 0f : (float) g;
            }
        }
        return ret;
    }

    private static void assertBits(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int t = 0; t < want.length; t++)
            assertEquals(Float.floatToRawIntBits(want[t]), Float.floatToRawIntBits(got[t]), what + " token " + t);
    }

    @Test
    void workedExampleStepReturns() {
        Rollouts b = workedExample();
        Map<String, Object> raw = new HashMap<>(
                Map.of("init_kl_coef", 0.0, "nomask_separator_adv", true, "disable_advantage_normalization", true));
        Credit c = EST.assign(b, params(raw));
        int a0 = b.spanTokenStart(1);
        int a1 = b.spanTokenStart(2);
        int a2 = b.spanTokenStart(3);
        assertEquals(-1.999953, c.returns()[a0], 2e-6);
        assertEquals(-1.899954, c.returns()[a1], 2e-6);
        assertEquals(-1.099982, c.returns()[a2], 2e-6);
        // step rewards after the token baseline: [-0.099999, -0.799972, -0.099982 - 1 (VR)]
        int end0 = b.spanTokenEnd(1) - 1;
        assertEquals(-0.099999, c.returns()[end0] - c.returns()[end0 + 1], 2e-6);
        // the advantages are the returns here
        assertEquals(c.returns()[a0], c.advantages()[a0], 0f);
        // with masking, every step end (separators and the last token) has return 0 and the rest is unchanged
        raw.put("nomask_separator_adv", false);
        Credit masked = EST.assign(b, params(raw));
        for (int s = 1; s <= 3; s++) assertEquals(0f, masked.returns()[b.spanTokenEnd(s) - 1], 0f);
        assertEquals(c.returns()[a0], masked.returns()[a0], 0f);
    }

    /**
     * The summation form (credit_form sum): step rewards are the raw scores r = [0.8, −0.6, 0.4]
     * (A) and [0.5] (B), not PURE's soft-min or the uniform-weight mean; step baseline as above.
     */
    @Test
    void sumFormKeepsEveryStepScore() {
        Rollouts b = workedExample();
        Map<String, Object> raw = prmRaw(0.0, true);
        int bStart = b.spanTokenStart(b.spanStart(1) + 1);
        // uniform weights (the old "sum-form"): p = r / 3, so O_A = 0.2 is the mean score
        raw.put("disable_weighted_reward", true);
        Credit uniform = EST.assign(b, params(raw));
        assertEquals(0.2 - 3 * 0.5, uniform.returns()[b.spanTokenStart(1)], 2e-6);
        assertEquals(0.5 - 0.2 / 3, uniform.returns()[bStart], 2e-6);
        // the true sum: O_A = 0.6 = 0.8 − 0.6 + 0.4; A's steps each lose B's 0.5, B loses O_A / N_A = 0.2
        raw.put("credit_form", "sum");
        Credit sum = EST.assign(b, params(raw));
        assertEquals(0.6 - 3 * 0.5, sum.returns()[b.spanTokenStart(1)], 2e-6);
        assertEquals(-0.6 + 0.4 - 2 * 0.5, sum.returns()[b.spanTokenStart(2)], 2e-6);
        assertEquals(0.5 - 0.2, sum.returns()[bStart], 2e-6);
        // the weighting switch does not change the sum form
        raw.put("disable_weighted_reward", false);
        assertEquals(
                sum.returns()[b.spanTokenStart(1)], EST.assign(b, params(raw)).returns()[b.spanTokenStart(1)], 0f);
    }

    @Test
    void stepBaselineSubtractsTheOthersMeanPerStepReward() {
        Rollouts b = workedExample();
        Credit c = EST.assign(b, params(prmRaw(0.0, true)));
        // B: one step of score 0.5 → O_B / N_B = 0.5; A's steps each lose 0.5
        double first = 6.652e-07 - 0.5 + (-0.599972 - 0.5) + (1.8159e-05 - 0.5);
        assertEquals(first, c.returns()[b.spanTokenStart(1)], 2e-6);
        // A: O_A / 3 = -0.599953 / 3 is B's baseline
        int bStart = b.spanTokenStart(b.spanStart(1) + 1);
        assertEquals(0.5 - (-0.599953 / 3), c.returns()[bStart], 2e-6);
    }

    @Test
    void klPenaltyEntersEveryToken() {
        RolloutsBuilder bb = Rollouts.builder();
        bb.trajectory("q", "A")
                .outcome(1)
                .span(Role.POLICY, 2)
                .spanSignal(PureSteps.PRM, 0.5)
                .tokenSignal(Rollouts.LOGPROB, new float[] {-1f, -2f})
                .tokenSignal(Rollouts.REF_LOGPROB, new float[] {-1.5f, -1f});
        bb.trajectory("q", "B")
                .outcome(1)
                .span(Role.POLICY, 1)
                .spanSignal(PureSteps.PRM, 0.5)
                .tokenSignal(Rollouts.LOGPROB, new float[] {0f})
                .tokenSignal(Rollouts.REF_LOGPROB, new float[] {0f});
        Rollouts b = bb.build();
        Map<String, Object> p = prmRaw(0.1, false);
        Credit k1 = EST.assign(b, params(p));
        // scores are 0 (p = 0.5), so the returns are -beta * reverse cumsum of x = logprob - ref_logprob: x = [0.5, -1]
        assertEquals(-0.1 * (0.5 - 1.0), k1.returns()[0], 1e-7);
        assertEquals(-0.1 * -1.0, k1.returns()[1], 1e-7);
        p.put("use_kl_estimator_k3", true);
        Credit k3 = EST.assign(b, params(p));
        double k3a = Math.exp(-0.5) - 1 + 0.5;
        double k3b = Math.exp(1.0) - 1 - 1.0;
        assertEquals(-0.1 * (k3a + k3b), k3.returns()[0], 1e-7);
    }

    /**
     * The whitening quirk: with beta = 0 and mode VR, a group whose members all solved gets returns
     * of exactly 0; the reference leaves those tokens out of the count but not out of the variance sum.
     */
    @Test
    void whiteningCountReferenceVersusCorrected() {
        RolloutsBuilder bb = Rollouts.builder();
        int[][] lens = {{3}, {3}, {3}, {2}, {2}};
        double[] solved = {1, 1, 1, 0, 0};
        String[] group = {"z", "z", "g", "g", "g"};
        for (int i = 0; i < 5; i++) traj(bb, group[i], "t" + i, solved[i], lens[i], new double[] {0.5});
        Rollouts b = bb.build();
        Map<String, Object> p = new HashMap<>(Map.of("reward_mode", "VR", "init_kl_coef", 0.0));
        // group g: v = [0, -1, -1] → terms [1, -0.5, -0.5]; each row's non-end tokens carry its term, ends are 0
        double[] x = {1, 1, 1, -0.5, -0.5, -0.5, -0.5};
        double sum = 0;
        for (double v : x) sum += v;
        // corrected: statistics over the unmasked tokens: group z's 6 zero tokens count too
        double mean = sum / 13;
        double sq = 6 * mean * mean;
        for (double v : x) sq += (v - mean) * (v - mean);
        Credit corrected = EST.assign(b, params(p));
        assertEquals(13.0, corrected.diagnostics().get("whiten_count"));
        assertEquals(mean, corrected.diagnostics().get("whiten_mean"), 1e-9);
        assertEquals(1 / Math.sqrt(sq / 13), corrected.diagnostics().get("whiten_rstd"), 1e-6);
        int zTok = b.spanTokenStart(b.spanStart(0) + 1);
        assertEquals((float) ((0 - mean) / Math.sqrt(sq / 13)), corrected.advantages()[zTok], 1e-6f);
        // reference: count 7 (non-zero tokens), the mean over them, the variance sum over all 13 + 5 ends
        Credit reference = EST.assign(b, Params.resolve(EST.descriptor(), "reference", p));
        double rMean = sum / 7;
        double rSq = 11 * rMean * rMean;
        for (double v : x) rSq += (v - rMean) * (v - rMean);
        assertEquals(7.0, reference.diagnostics().get("whiten_count"));
        assertEquals(1 / Math.sqrt(rSq / 7), reference.diagnostics().get("whiten_rstd"), 1e-6);
        assertEquals(0f, reference.advantages()[zTok], 0f, "the reference zeroes every exactly-zero token");
        assertNotEquals(
                corrected.advantages()[b.spanTokenStart(b.spanStart(2) + 1)],
                reference.advantages()[b.spanTokenStart(b.spanStart(2) + 1)]);
    }

    @Test
    void tokenBaselineStepTokensIncludeEndSumsToRhoTimesLength() {
        Rollouts b = workedExample();
        Map<String, Object> p = prmRaw(0.0, false);
        double excl = EST.assign(b, params(p)).returns()[b.spanTokenStart(1)];
        p.put("step_tokens", "include_end");
        double incl = EST.assign(b, params(p)).returns()[b.spanTokenStart(1)];
        // rho = 0.01; A has 3 step ends, so the baseline grows by 3 * 0.01
        assertEquals(excl - 0.03, incl, 1e-6);
    }

    @Test
    void refusesSingletonGroupsAndMissingSignals() {
        RolloutsBuilder bb = Rollouts.builder();
        traj(bb, "alone", "t", 1, new int[] {2}, new double[] {0.5});
        Rollouts b = bb.build();
        RolloutException e = assertThrows(RolloutException.class, () -> EST.assign(b, params(Map.of())));
        assertTrue(e.getMessage().contains("group 'alone'"), e.getMessage());
        Rollouts noLogprob = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 1)
                .spanSignal(PureSteps.PRM, 0.5)
                .trajectory("g", "b")
                .outcome(0)
                .span(Role.POLICY, 1)
                .spanSignal(PureSteps.PRM, 0.5)
                .build();
        e = assertThrows(RolloutException.class, () -> EST.assign(noLogprob, params(Map.of())));
        assertTrue(e.getMessage().contains("logprob"), e.getMessage());
        // without KL and PRM, neither log-probs nor PRM scores are needed
        Credit c = EST.assign(
                noLogprob,
                params(Map.of("init_kl_coef", 0.0, "reward_mode", "VR", "disable_advantage_normalization", true)));
        assertEquals(0f, c.advantages()[0], 0f, "the only token is the step end, masked");
    }

    @Test
    void absentOutcomeMeansNoReferenceAnswerAndCountsAsSolved() {
        RolloutsBuilder bb = Rollouts.builder();
        bb.trajectory("g", "a").span(Role.POLICY, 2).spanSignal(PureSteps.PRM, 0.5);
        bb.trajectory("g", "b").outcome(0).span(Role.POLICY, 2).spanSignal(PureSteps.PRM, 0.5);
        Rollouts b = bb.build();
        Credit c = EST.assign(
                b, params(Map.of("reward_mode", "VR", "init_kl_coef", 0.0, "disable_advantage_normalization", true)));
        // v = [0, -1]: a gets 0 - (-1) = 1, b gets -1 - 0 = -1
        assertEquals(1f, c.returns()[0], 1e-7f);
        assertEquals(-1f, c.returns()[2], 1e-7f);
    }

    /**
     * {@code trajectories} trajectories in two groups, each of 1–6 spans of 0–8 tokens (a third
     * context, the rest policy steps with a PRM score; never an empty trajectory), with random
     * log-probabilities of the policy and the reference.
     */
    private static Rollouts randomBatch(java.util.SplittableRandom r, int trajectories) {
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < trajectories; i++) {
            b.trajectory("q" + (i % 2), "t" + i).outcome(r.nextInt(2));
            int len = 0;
            int spans = 1 + r.nextInt(6);
            for (int s = 0; s < spans || len == 0; s++) {
                int l = r.nextInt(5) == 0 ? 0 : 1 + r.nextInt(8);
                if (r.nextInt(3) == 0) b.span(Role.CONTEXT, l);
                else b.span(Role.POLICY, l).spanSignal(PureSteps.PRM, r.nextDouble());
                len += l;
            }
            float[] lp = new float[len];
            float[] ref = new float[len];
            for (int k = 0; k < len; k++) {
                lp[k] = (float) r.nextDouble(-3, 0);
                ref[k] = (float) r.nextDouble(-3, 0);
            }
            b.tokenSignal(Rollouts.LOGPROB, lp).tokenSignal(Rollouts.REF_LOGPROB, ref);
        }
        return b.build();
    }
}

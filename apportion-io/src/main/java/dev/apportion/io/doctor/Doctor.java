package dev.apportion.io.doctor;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.text.Numbers;
import dev.apportion.io.evaluate.TurnCredit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The health of a rollout batch before training on it, and of the credit an estimator assigns
 * to it ({@code apportion doctor}).
 *
 * <h2>Checks on the batch</h2>
 * <ul>
 *   <li>{@code singleton_groups} (warning): groups of one trajectory; a group-relative baseline
 *       has nothing to compare them with.</li>
 *   <li>{@code zero_signal_groups} (warning): groups of two or more whose scores
 *       ({@link Rollouts#scores()}) are all equal: every group-relative advantage is 0, so
 *       their tokens (share reported) carry no learning signal.</li>
 *   <li>{@code near_equal_rewards} (warning): groups whose score range is positive but at most
 *       {@value #NEAR_EQUAL} of the batch's score range; std normalisation blows such tiny
 *       differences up to ±1.</li>
 *   <li>{@code no_reward} (warning), {@code missing_outcome} (warning): the batch has no reward at
 *       all, or some trajectories lack the outcome others have.</li>
 *   <li>{@code non_finite} (error): a NaN or infinite reward or signal (outcome components may be
 *       NaN: that means "no value").</li>
 *   <li>{@code empty_turns} (warning), {@code no_policy_tokens} (warning): policy spans with no
 *       tokens; trajectories without any policy token.</li>
 *   <li>{@code mask_conflict} (error): a token signal that is a mask ({@code response_mask},
 *       {@code loss_mask}, {@code action_mask}: 0 = not trained; {@code observation_mask},
 *       {@code obs_mask}: 1 = observation) says observation on a token the spans call policy.</li>
 *   <li>{@code partial_groups} (warning): groups smaller than the most common group size (lost
 *       or filtered samples change the baseline of those groups).</li>
 *   <li>{@code length_bias} (when the ratio is above {@value #LENGTH_BIAS} or below its inverse;
 *       warning under {@code seq-mean-*} aggregation, info under {@code token-mean}): the mean
 *       policy length of trajectories with negative versus positive advantage. Under
 *       {@code seq-mean-token-mean} aggregation each token of a response of length |o| weighs
 *       1/|o| (Liu et al., "Understanding R1-Zero-Like Training: A Critical Perspective"
 *       (Dr. GRPO), arXiv 2503.20783): when wrong answers are longer, their tokens are pushed
 *       down less per token. Under {@code token-mean} every token weighs the same and long
 *       responses dominate the batch instead. The aggregation is the estimator's
 *       {@code loss_agg} parameter when it has one, verl's default {@code token-mean}
 *       otherwise. The sign comes from the estimator's credit, or from the score minus the group
 *       mean without an estimator.</li>
 * </ul>
 *
 * <h2>Checks on the credit (with an estimator)</h2>
 * <ul>
 *   <li>{@code estimator_cannot_run} (error): the estimator refused the batch (the missing signal
 *       is named).</li>
 *   <li>{@code non_finite_credit} (error): NaN or infinite advantages.</li>
 *   <li>{@code exploding_advantages} (warning): max |A| over the standard deviation of A on
 *       policy tokens above {@value #EXPLODING}.</li>
 *   <li>{@code zero_credit} (warning): every policy-token advantage is 0.</li>
 *   <li>{@code inert_term} (warning): the estimator's token advantages equal GRPO's (default
 *       parameters) on this batch, so whatever distinguishes it (anchor-state groups, turn
 *       returns, ...) is zero here. For an estimator that needs span states, the message says
 *       whether any state repeats across trajectories of a group (GiGPO's step groups need
 *       that).</li>
 *   <li>{@code turn_credit_constant} (info): a turn- or step-level estimator whose turn credit
 *       never varies within a trajectory of two or more turns.</li>
 * </ul>
 *
 * <p>Findings aggregate: one finding per code, with counts and the first examples; {@code group}
 * and {@code id} are set when the finding concerns exactly one group or trajectory. Thresholds
 * are reconstructed judgement calls (no paper fixes them), documented here.
 */
public final class Doctor {
    /** A group whose score range is at most this fraction of the batch's range is "near-equal". */
    public static final double NEAR_EQUAL = 1e-3;
    /** max |A| / std(A) above this is "exploding". */
    public static final double EXPLODING = 10.0;
    /** Length ratio (negative / positive advantage) beyond which the length bias is a warning. */
    public static final double LENGTH_BIAS = 1.5;

    private static final double EQUAL_TOL = 1e-6;
    private static final int EXAMPLES = 3;
    private static final List<String> KEEP_MASKS = List.of("response_mask", "loss_mask", "action_mask");
    private static final List<String> OBS_MASKS = List.of("observation_mask", "obs_mask");

    private Doctor() {}

    /**
     * Examines a batch and, when an estimator is named, the credit it assigns.
     *
     * @param batch the rollouts
     * @param estimatorIdOrNull an estimator id or alias of the global registry, or null for the batch checks only
     * @param paramsOrNull the estimator's parameters, or null for its defaults
     * @throws IllegalArgumentException for an unknown estimator id
     */
    public static DoctorReport examine(Rollouts batch, String estimatorIdOrNull, Params paramsOrNull) {
        if (estimatorIdOrNull == null) return examine(batch, null, null, null);
        EstimatorRegistry registry = EstimatorRegistry.global();
        return examine(batch, registry.get(estimatorIdOrNull), paramsOrNull, registry);
    }

    /**
     * {@link #examine(Rollouts, String, Params)} with an estimator object.
     *
     * @param registry where GRPO is looked up for the {@code inert_term} check (null: skip that check)
     */
    public static DoctorReport examine(
            Rollouts batch, Estimator estimator, Params paramsOrNull, EstimatorRegistry registry) {
        List<Finding> out = new ArrayList<>();
        Map<String, Object> summary = new LinkedHashMap<>();
        int n = batch.trajectoryCount();
        int groups = batch.groupCount();
        long tokens = batch.tokenCount();
        long policyTokens = 0;
        int turns = 0;
        for (int i = 0; i < n; i++) policyTokens += batch.policyTokenCount(i);
        for (int s = 0; s < batch.spanCount(); s++) if (batch.isPolicySpan(s)) turns++;
        summary.put("trajectories", n);
        summary.put("groups", groups);
        summary.put("tokens", tokens);
        summary.put("policy_tokens", policyTokens);
        summary.put("turns", turns);

        double[] scores = batch.scores();
        long[] groupPolicyTokens = new long[groups];
        for (int i = 0; i < n; i++) groupPolicyTokens[batch.trajectoryGroup(i)] += batch.policyTokenCount(i);
        double denom = Math.max(1, policyTokens);

        checkGroups(batch, scores, groupPolicyTokens, denom, out, summary);
        checkRewards(batch, out);
        checkTurns(batch, out, summary);
        checkMasks(batch, out);

        double[] signOf = new double[n];
        int[] members = batch.groupMembers();
        int[] start = batch.groupMemberStart();
        for (int g = 0; g < groups; g++) {
            double mean = 0;
            for (int k = start[g]; k < start[g + 1]; k++) mean += scores[members[k]];
            mean /= start[g + 1] - start[g];
            for (int k = start[g]; k < start[g + 1]; k++) signOf[members[k]] = scores[members[k]] - mean;
        }
        String lossAgg = "token-mean";
        if (estimator != null) {
            summary.put("estimator", estimator.id());
            Params params = paramsOrNull != null ? paramsOrNull : Params.defaults(estimator.descriptor());
            if (params.values().get("loss_agg") instanceof String s) lossAgg = s;
            Credit credit = null;
            try {
                credit = estimator.assign(batch, params);
            } catch (IllegalArgumentException e) {
                out.add(new Finding(
                        Severity.ERROR,
                        "estimator_cannot_run",
                        "estimator '" + estimator.id() + "' cannot run on this batch: " + e.getMessage(),
                        null,
                        null));
            }
            if (credit != null) {
                checkCredit(batch, estimator, params, credit, registry, out, summary);
                float[] adv = credit.advantages();
                for (int i = 0; i < n; i++) {
                    double sum = 0;
                    for (int t = batch.tokenStart(i); t < batch.tokenEnd(i); t++) sum += adv[t];
                    signOf[i] = sum;
                }
            }
        }
        checkLengthBias(batch, signOf, lossAgg, out, summary);

        out.sort(Comparator.comparing(Finding::severity));
        int errors = 0;
        int warnings = 0;
        for (Finding f : out) {
            if (f.severity() == Severity.ERROR) errors++;
            else if (f.severity() == Severity.WARNING) warnings++;
        }
        summary.put("errors", errors);
        summary.put("warnings", warnings);
        return new DoctorReport(out, summary);
    }

    private static void checkGroups(
            Rollouts b,
            double[] scores,
            long[] groupPolicy,
            double denom,
            List<Finding> out,
            Map<String, Object> summary) {
        int groups = b.groupCount();
        int[] members = b.groupMembers();
        int[] start = b.groupMemberStart();
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double s : scores) {
            if (Double.isFinite(s)) {
                lo = Math.min(lo, s);
                hi = Math.max(hi, s);
            }
        }
        double batchRange = hi > lo ? hi - lo : 0;
        List<Integer> single = new ArrayList<>();
        List<Integer> equal = new ArrayList<>();
        List<Integer> near = new ArrayList<>();
        Map<Integer, Integer> sizeCount = new HashMap<>();
        int minSize = Integer.MAX_VALUE;
        int maxSize = 0;
        for (int g = 0; g < groups; g++) {
            int size = start[g + 1] - start[g];
            sizeCount.merge(size, 1, Integer::sum);
            minSize = Math.min(minSize, size);
            maxSize = Math.max(maxSize, size);
            if (size == 1) {
                single.add(g);
                continue;
            }
            double gl = Double.POSITIVE_INFINITY;
            double gh = Double.NEGATIVE_INFINITY;
            for (int k = start[g]; k < start[g + 1]; k++) {
                gl = Math.min(gl, scores[members[k]]);
                gh = Math.max(gh, scores[members[k]]);
            }
            double range = gh - gl;
            if (range <= EQUAL_TOL * Math.max(1, Math.abs(gh))) equal.add(g);
            else if (batchRange > 0 && range <= NEAR_EQUAL * batchRange) near.add(g);
        }
        int modal = 0;
        int modalCount = 0;
        for (Map.Entry<Integer, Integer> e : sizeCount.entrySet()) {
            if (e.getValue() > modalCount || (e.getValue() == modalCount && e.getKey() > modal)) {
                modal = e.getKey();
                modalCount = e.getValue();
            }
        }
        summary.put("group_size_min", groups == 0 ? 0 : minSize);
        summary.put("group_size_max", maxSize);
        summary.put("group_size_mode", modal);
        summary.put("singleton_groups", single.size());
        summary.put("zero_signal_groups", equal.size());
        summary.put("near_equal_groups", near.size());
        double equalShare = share(equal, groupPolicy, denom);
        summary.put("zero_signal_token_share", equalShare);
        summary.put("near_equal_token_share", share(near, groupPolicy, denom));
        if (!single.isEmpty()) {
            out.add(groupFinding(
                    b,
                    Severity.WARNING,
                    "singleton_groups",
                    single,
                    String.format(
                            Locale.ROOT,
                            "%d of %d groups have a single trajectory (%s of policy tokens): "
                                    + "a group-relative baseline has nothing to compare them with",
                            single.size(),
                            groups,
                            pct(share(single, groupPolicy, denom)))));
        }
        if (!equal.isEmpty()) {
            out.add(groupFinding(
                    b,
                    Severity.WARNING,
                    "zero_signal_groups",
                    equal,
                    String.format(
                            Locale.ROOT,
                            "%d of %d groups have all-equal rewards (%s of policy tokens): "
                                    + "group-relative advantages are 0 there, no learning signal",
                            equal.size(),
                            groups,
                            pct(equalShare))));
        }
        if (!near.isEmpty()) {
            out.add(groupFinding(
                    b,
                    Severity.WARNING,
                    "near_equal_rewards",
                    near,
                    String.format(
                            Locale.ROOT,
                            "%d groups have near-equal rewards (range <= %.0e of the batch's; %s of policy "
                                    + "tokens): std normalisation turns the tiny differences into advantages of about +-1",
                            near.size(),
                            NEAR_EQUAL,
                            pct(share(near, groupPolicy, denom)))));
        }
        if (modal >= 2 && minSize < modal) {
            List<Integer> partial = new ArrayList<>();
            for (int g = 0; g < groups; g++) if (start[g + 1] - start[g] < modal) partial.add(g);
            out.add(groupFinding(
                    b,
                    Severity.WARNING,
                    "partial_groups",
                    partial,
                    String.format(
                            Locale.ROOT,
                            "%d of %d groups have fewer trajectories than the usual %d (sizes down to %d): "
                                    + "lost or filtered samples change those groups' baselines",
                            partial.size(),
                            groups,
                            modal,
                            minSize)));
        }
    }

    private static void checkRewards(Rollouts b, List<Finding> out) {
        int n = b.trajectoryCount();
        if (!b.hasAnyReward()) {
            out.add(new Finding(
                    Severity.WARNING,
                    "no_reward",
                    "the batch has no reward at all (no outcome, span or token reward): reward-based estimators cannot run",
                    null,
                    null));
            return;
        }
        float[] outcome = b.outcome();
        if (outcome != null) {
            List<Integer> missing = new ArrayList<>();
            for (int i = 0; i < n; i++) if (Float.isNaN(outcome[i])) missing.add(i);
            if (!missing.isEmpty() && missing.size() < n) {
                out.add(trajFinding(
                        b,
                        Severity.WARNING,
                        "missing_outcome",
                        missing,
                        missing.size() + " of " + n
                                + " trajectories have no outcome while the others do (scored as 0)"));
            }
        }
        List<String> bad = new ArrayList<>();
        int first = -1;
        if (outcome != null) {
            for (int i = 0; i < n; i++) {
                if (Float.isInfinite(outcome[i])) {
                    bad.add("outcome of " + b.describe(i));
                    if (first < 0) first = i;
                }
            }
        }
        for (Map.Entry<String, float[]> e : b.outcomeComponents().entrySet()) {
            for (int i = 0; i < n; i++) {
                if (Float.isInfinite(e.getValue()[i])) {
                    bad.add("outcome." + e.getKey() + " of " + b.describe(i));
                    if (first < 0) first = i;
                }
            }
        }
        nonFinite(b.spanReward(), "span reward", bad);
        for (Map.Entry<String, float[]> e : b.spanSignals().entrySet())
            nonFiniteSignal(e.getValue(), "span signal " + e.getKey(), bad);
        for (Map.Entry<String, float[]> e : b.tokenSignals().entrySet())
            nonFinite(e.getValue(), "token signal " + e.getKey(), bad);
        for (Map.Entry<String, float[]> e : b.trajectorySignals().entrySet())
            nonFiniteSignal(e.getValue(), "signal " + e.getKey(), bad);
        if (!bad.isEmpty()) {
            out.add(new Finding(
                    Severity.ERROR,
                    "non_finite",
                    bad.size() + " non-finite value(s): "
                            + String.join("; ", bad.subList(0, Math.min(EXAMPLES, bad.size()))),
                    null,
                    null));
        }
    }

    private static void nonFinite(float[] a, String what, List<String> bad) {
        if (a == null) return;
        for (int k = 0; k < a.length; k++) {
            if (Float.isInfinite(a[k])) bad.add(what + "[" + k + "] = " + a[k]);
        }
    }

    /** Signals use NaN for "absent"; only infinities are wrong. Token signals have no absent value. */
    private static void nonFiniteSignal(float[] a, String what, List<String> bad) {
        nonFinite(a, what, bad);
    }

    private static void checkTurns(Rollouts b, List<Finding> out, Map<String, Object> summary) {
        int n = b.trajectoryCount();
        List<Integer> emptyTurnTraj = new ArrayList<>();
        int emptyTurns = 0;
        List<Integer> noPolicy = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int empties = 0;
            for (int s = b.spanStart(i); s < b.spanEnd(i); s++) {
                if (b.isPolicySpan(s) && b.spanTokenEnd(s) == b.spanTokenStart(s)) empties++;
            }
            if (empties > 0) {
                emptyTurnTraj.add(i);
                emptyTurns += empties;
            }
            if (b.policyTokenCount(i) == 0) noPolicy.add(i);
        }
        summary.put("empty_turns", emptyTurns);
        summary.put("trajectories_without_policy_tokens", noPolicy.size());
        if (emptyTurns > 0) {
            out.add(trajFinding(
                    b,
                    Severity.WARNING,
                    "empty_turns",
                    emptyTurnTraj,
                    emptyTurns
                            + " turn(s) (policy spans) with zero tokens in " + emptyTurnTraj.size()
                            + " trajectories: rewards or labels on them have no token to act on"));
        }
        if (!noPolicy.isEmpty()) {
            out.add(trajFinding(
                    b,
                    Severity.WARNING,
                    "no_policy_tokens",
                    noPolicy,
                    noPolicy.size()
                            + " trajectories have no policy token: they enter baselines but receive no credit"));
        }
    }

    private static void checkMasks(Rollouts b, List<Finding> out) {
        byte[] mask = b.mask();
        for (String name : b.tokenSignalNames()) {
            boolean keep = KEEP_MASKS.contains(name);
            boolean obs = OBS_MASKS.contains(name);
            if (!keep && !obs) continue;
            float[] m = b.tokenSignal(name);
            List<Integer> traj = new ArrayList<>();
            long count = 0;
            for (int i = 0; i < b.trajectoryCount(); i++) {
                long c = 0;
                for (int t = b.tokenStart(i); t < b.tokenEnd(i); t++) {
                    if (mask[t] == 1 && (keep ? m[t] == 0f : m[t] != 0f)) c++;
                }
                if (c > 0) {
                    traj.add(i);
                    count += c;
                }
            }
            if (count > 0) {
                out.add(trajFinding(
                        b,
                        Severity.ERROR,
                        "mask_conflict",
                        traj,
                        count + " policy token(s) in " + traj.size()
                                + " trajectories are marked as observation by token signal '" + name
                                + "': the spans and the mask disagree about what the policy generated"));
            }
        }
    }

    private static void checkCredit(
            Rollouts b,
            Estimator est,
            Params params,
            Credit credit,
            EstimatorRegistry registry,
            List<Finding> out,
            Map<String, Object> summary) {
        float[] adv = credit.advantages();
        byte[] mask = b.mask();
        List<Integer> badTraj = new ArrayList<>();
        double sum = 0;
        double sq = 0;
        double maxAbs = 0;
        long count = 0;
        for (int i = 0; i < b.trajectoryCount(); i++) {
            boolean bad = false;
            for (int t = b.tokenStart(i); t < b.tokenEnd(i); t++) {
                float a = adv[t];
                if (!Float.isFinite(a)) {
                    bad = true;
                    continue;
                }
                if (mask[t] == 1) {
                    sum += a;
                    sq += (double) a * a;
                    maxAbs = Math.max(maxAbs, Math.abs(a));
                    count++;
                }
            }
            if (bad) badTraj.add(i);
        }
        if (!badTraj.isEmpty()) {
            out.add(trajFinding(
                    b,
                    Severity.ERROR,
                    "non_finite_credit",
                    badTraj,
                    "estimator '" + est.id() + "' gives NaN or infinite advantages in " + badTraj.size()
                            + " trajectories"));
        }
        double std = 0;
        if (count > 1) {
            double mean = sum / count;
            std = Math.sqrt(Math.max(0, (sq - count * mean * mean) / (count - 1)));
        }
        double ratio = std > 0 ? maxAbs / std : 0;
        summary.put("max_abs_advantage", maxAbs);
        summary.put("advantage_std", std);
        summary.put("max_abs_advantage_over_std", ratio);
        if (ratio > EXPLODING) {
            out.add(new Finding(
                    Severity.WARNING,
                    "exploding_advantages",
                    String.format(
                            Locale.ROOT,
                            "max |A| is %.3g standard deviations (max |A| = %.3g, std = %.3g; threshold %.0f): a few tokens dominate the update",
                            ratio,
                            maxAbs,
                            std,
                            EXPLODING),
                    null,
                    null));
        }
        if (count > 0 && maxAbs == 0) {
            out.add(new Finding(
                    Severity.WARNING,
                    "zero_credit",
                    "estimator '" + est.id()
                            + "' gives advantage 0 to every policy token of this batch: nothing to learn",
                    null,
                    null));
        }
        if (count > 0 && maxAbs > 0 && badTraj.isEmpty()) {
            String inert = inertTerm(b, est, params, adv, registry);
            if (inert != null) out.add(new Finding(Severity.WARNING, "inert_term", inert, null, null));
        }
        Granularity g = est.descriptor().granularity();
        if (g == Granularity.TURN || g == Granularity.STEP) {
            double[] turn = TurnCredit.of(b, credit);
            int multi = 0;
            int varying = 0;
            for (int i = 0; i < b.trajectoryCount(); i++) {
                double lo = Double.POSITIVE_INFINITY;
                double hi = Double.NEGATIVE_INFINITY;
                int k = 0;
                for (int s = b.spanStart(i); s < b.spanEnd(i); s++) {
                    if (Double.isNaN(turn[s])) continue;
                    lo = Math.min(lo, turn[s]);
                    hi = Math.max(hi, turn[s]);
                    k++;
                }
                if (k >= 2) {
                    multi++;
                    if (hi - lo > 1e-6 * Math.max(1, Math.abs(hi))) varying++;
                }
            }
            if (multi > 0 && varying == 0) {
                out.add(new Finding(
                        Severity.INFO,
                        "turn_credit_constant",
                        "estimator '" + est.id() + "' is "
                                + g.name().toLowerCase(Locale.ROOT)
                                + "-level but its turn credit never varies within any of the "
                                + multi + " multi-turn trajectories: its turn-level term is zero on this batch",
                        null,
                        null));
            }
        }
    }

    /**
     * Why the estimator's distinguishing term is zero on this batch, or null. For an estimator
     * that reads span states, the batch is re-run with every policy span given a state of its
     * own (no anchor group has two members); identical credit means the state grouping does
     * nothing here. For any other estimator, identical credit to GRPO (with or without std
     * normalisation) means it reduces to GRPO on this batch.
     */
    private static String inertTerm(Rollouts b, Estimator est, Params params, float[] adv, EstimatorRegistry registry) {
        boolean needsState = false;
        for (SignalRequirement r : est.descriptor().requires()) if (r.name().equals("state")) needsState = true;
        if (needsState && b.spanState() != null) {
            Credit ablated;
            try {
                ablated = est.assign(Batches.withUniqueStates(b), params);
            } catch (IllegalArgumentException e) {
                return null;
            }
            if (!sameCredit(adv, ablated.advantages())) return null;
            int repeated = repeatedStates(b);
            return "estimator '" + est.id()
                    + "' gives the same advantages when every turn gets a state of its own: its "
                    + "anchor-state term is zero on this batch ("
                    + (repeated == 0
                            ? "no anchor state repeats across the trajectories of a group, so every step group has one member"
                            : repeated + " anchor states repeat, but their step groups carry no return difference")
                    + ")";
        }
        if (registry == null || est.id().equals("grpo") || !registry.has("grpo")) return null;
        Estimator grpo = registry.get("grpo");
        for (boolean byStd : new boolean[] {true, false}) {
            Credit base;
            try {
                Params p =
                        Params.resolve(grpo.descriptor(), null, byStd ? Map.of() : Map.of("normalize_by_std", false));
                base = grpo.assign(b, p);
            } catch (IllegalArgumentException e) {
                return null;
            }
            if (sameCredit(adv, base.advantages())) {
                return "estimator '" + est.id() + "' gives the same advantages as grpo"
                        + (byStd ? "" : " without std normalisation")
                        + " on this batch: its distinguishing term is zero here";
            }
        }
        return null;
    }

    /** Number of (group, state) pairs seen in two or more trajectories of the group. */
    static int repeatedStates(Rollouts b) {
        String[] state = b.spanState();
        if (state == null) return 0;
        Map<String, Integer> firstTraj = new HashMap<>();
        Set<String> repeated = new HashSet<>();
        for (int i = 0; i < b.trajectoryCount(); i++) {
            for (int s = b.spanStart(i); s < b.spanEnd(i); s++) {
                if (!b.isPolicySpan(s) || state[s] == null) continue;
                String key = b.trajectoryGroup(i) + "\u0000" + state[s];
                Integer f = firstTraj.putIfAbsent(key, i);
                if (f != null && f != i) repeated.add(key);
            }
        }
        return repeated.size();
    }

    private static boolean sameCredit(float[] a, float[] b) {
        if (a.length != b.length) return false;
        for (int t = 0; t < a.length; t++) {
            if (Math.abs(a[t] - b[t]) > 1e-5 * (1 + Math.abs(b[t]))) return false;
        }
        return true;
    }

    private static void checkLengthBias(
            Rollouts b, double[] signOf, String lossAgg, List<Finding> out, Map<String, Object> summary) {
        double posLen = 0;
        double negLen = 0;
        int pos = 0;
        int neg = 0;
        for (int i = 0; i < b.trajectoryCount(); i++) {
            int len = b.policyTokenCount(i);
            if (signOf[i] > 0) {
                posLen += len;
                pos++;
            } else if (signOf[i] < 0) {
                negLen += len;
                neg++;
            }
        }
        summary.put("loss_agg", lossAgg);
        if (pos == 0 || neg == 0 || posLen == 0) return;
        double ratio = (negLen / neg) / (posLen / pos);
        summary.put("length_ratio_negative_to_positive", ratio);
        boolean seqMean = lossAgg.startsWith("seq-mean");
        boolean strong = ratio > LENGTH_BIAS || ratio < 1 / LENGTH_BIAS;
        if (!strong) return;
        String effect = seqMean
                ? (ratio > 1
                        ? "each token of a negative-advantage response is pushed down about " + Numbers.fixed(ratio, 2)
                                + "x less than a token of a positive one (seq-mean-token-mean divides by the length)"
                        : "tokens of negative-advantage responses are pushed down about " + Numbers.fixed(1 / ratio, 2)
                                + "x more per token than positive ones are pushed up (seq-mean-token-mean divides by the length)")
                : "under token-mean every token weighs the same, so the " + (ratio > 1 ? "negative" : "positive")
                        + "-advantage responses hold " + Numbers.fixed(Math.max(ratio, 1 / ratio), 2)
                        + "x more of the update per response";
        out.add(new Finding(
                seqMean ? Severity.WARNING : Severity.INFO,
                "length_bias",
                String.format(
                        Locale.ROOT,
                        "responses with negative advantage have %.1f policy tokens on average, positive ones %.1f (ratio %s); %s",
                        negLen / neg,
                        posLen / pos,
                        Numbers.fixed(ratio, 2),
                        effect),
                null,
                null));
    }

    private static Finding groupFinding(Rollouts b, Severity sev, String code, List<Integer> groups, String message) {
        StringBuilder m = new StringBuilder(message);
        m.append(" (e.g. ");
        for (int k = 0; k < Math.min(EXAMPLES, groups.size()); k++) {
            if (k > 0) m.append(", ");
            m.append('\'').append(b.groupKey(groups.get(k))).append('\'');
        }
        m.append(')');
        return new Finding(sev, code, m.toString(), groups.size() == 1 ? b.groupKey(groups.get(0)) : null, null);
    }

    private static Finding trajFinding(Rollouts b, Severity sev, String code, List<Integer> traj, String message) {
        StringBuilder m = new StringBuilder(message);
        m.append(" (e.g. ");
        for (int k = 0; k < Math.min(EXAMPLES, traj.size()); k++) {
            if (k > 0) m.append(", ");
            m.append(b.describe(traj.get(k)));
        }
        m.append(')');
        boolean one = traj.size() == 1;
        return new Finding(
                sev,
                code,
                m.toString(),
                one ? b.groupKey(b.trajectoryGroup(traj.get(0))) : null,
                one ? b.trajectoryId(traj.get(0)) : null);
    }

    private static double share(List<Integer> groups, long[] groupPolicy, double denom) {
        long s = 0;
        for (int g : groups) s += groupPolicy[g];
        return s / denom;
    }

    private static String pct(double share) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * share);
    }
}

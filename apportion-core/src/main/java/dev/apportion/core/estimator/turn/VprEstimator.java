package dev.apportion.core.estimator.turn;

import dev.apportion.core.credit.BufferedEstimator;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.kernel.PolicySpans;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;
import java.util.Map;

/**
 * VPR, verifiable process rewards ({@code vpr}): every turn carries a reward from a symbolic
 * oracle (Sokoban shortest-path moves, Sudoku forced cells, Minesweeper posteriors), and the
 * turn's advantage normalizes that reward among the candidates sampled from the same state
 * ("state group"), or, without state groups, among all turns of the batch at the same turn
 * index. Uninformative state groups are dropped from the loss.
 *
 * <h2>Turns on apportion's model</h2>
 * One turn (one row of the reference's batch, one generated candidate action) is one policy
 * span. Per turn:
 * <ul>
 *   <li><b>oracle reward</b> {@code r}: the span reward (required on every policy span; the
 *       reference reads {@code non_tensor_batch['rewards']}, never the token rewards, so token
 *       rewards and outcomes do not enter {@code r});</li>
 *   <li><b>state group</b>: the span's state key. Keys are compared across the whole batch,
 *       as the reference's {@code state_group_uid} values are (they are unique per visited
 *       state); make them unique per environment if two groups must not pool;</li>
 *   <li><b>turn index</b>: span signal {@code turn_index}, or, when the batch has none, the
 *       span's position among its trajectory's policy spans (0-based);</li>
 *   <li><b>padding</b>: span signal {@code is_padding} non-zero. verl-agent appends duplicated
 *       rows to make the batch divisible across data-parallel workers; those rows take part in
 *       no statistic and get no loss. Batches built for apportion usually have none;</li>
 *   <li><b>terminal bonus</b>: a span is terminal when its span signal {@code is_terminal} is
 *       non-zero (without that signal in the batch: when it is its trajectory's last policy
 *       span); its success is the span signal {@code terminal_success} (without that signal:
 *       the trajectory outcome, 0 when absent). In state-group rollouts several candidates of
 *       one trajectory can be terminal with different success, which is why the reference
 *       keeps both per turn.</li>
 * </ul>
 *
 * <h2>Formula</h2>
 * <ol>
 *   <li>Effective reward {@code r_i = oracle_i + b_i}, {@code b_i = outcome_reward_scale ·
 *       success_i} on terminal turns when the scale is non-zero, else 0. Let {@code keep_i} =
 *       not padding; {@code skip_i} starts as padding; {@code A_i = 0}.</li>
 *   <li><b>State-group mode</b>: for each state key, {@code G} = its kept turns. If
 *       {@code |G| ≥ 2} and the <em>population</em> std {@code s > eps}: {@code c_i = r_i −
 *       mean_G}; {@code group_whiten}: {@code A_i = c_i/(s + eps)};
 *       {@code mean_then_batch_whiten}: {@code A_i = c_i}. Otherwise (one member, or all
 *       equal) the group's turns are skipped. In {@code mean_then_batch_whiten} the
 *       non-skipped kept turns {@code T} are then whitened together: {@code A_i = (A_i −
 *       mean_T)/(sd_T + eps)} with population {@code sd_T}, or 0 when {@code sd_T ≤ eps}.</li>
 *   <li><b>Per-turn mode</b> (no state keys): over the kept turns {@code gm = mean(r)},
 *       {@code gs = popstd(r) + eps}; for each turn index {@code t} with kept turns
 *       {@code R_t}: {@code A_i = (r_i − mean_{R_t})/(popstd_{R_t} + eps)} when
 *       {@code |R_t| ≥ min_group_size}, else {@code (r_i − gm)/gs}. Nothing but padding is
 *       skipped: equal rewards give 0 (and still count in the loss).</li>
 *   <li>{@code A_i} is written on every token of turn {@code i}; a skipped turn gets 0 and
 *       loss weight 0 ({@link Credit#lossWeights()}: 1 on the policy tokens of trained turns,
 *       0 elsewhere, the reference's zeroed {@code response_mask}). Returns equal the
 *       advantages; span advantages hold {@code A_i} per policy span.</li>
 * </ol>
 *
 * <h2>Source</h2>
 * Yuan, Xu, Wang, Yi, Gao, Zhang, Wang, Yu, Wu, "Verifiable Process Rewards for Agentic
 * Reasoning", arXiv 2605.10325; code thu-nics/VPR @ 7fa8008, {@code gigpo/core_gigpo.py}
 * {@code compute_vpr_turn_level_advantage} (called from {@code verl/trainer/ppo/ray_trainer.py},
 * configured in {@code verl/trainer/config/vpr_sokoban.yaml}). Fidelity {@code reference}: the
 * golden vectors of {@code vpr-r3l-a3.jsonl} pass.
 *
 * <h2>Parameters and presets</h2>
 * {@code min_group_size} 4 (hard-coded by the trainer), {@code eps} 1e-8,
 * {@code outcome_reward_scale} 0.0 and {@code state_group_advantage_mode}
 * {@code mean_then_batch_whiten} (the paper configs {@code vpr_*.yaml}), {@code grouping}
 * {@code auto} (state groups when the batch has state keys, else per turn; {@code state_group}
 * requires them, {@code per_turn} ignores them), {@code arithmetic} {@code double}. These are
 * the defaults and preset {@code paper}. Preset {@code reference} = the function's own
 * defaults, which the trainer also falls back to when the config omits them
 * ({@code outcome_reward_scale} 1.0, {@code group_whiten}), computed in the reference's
 * arithmetic ({@code arithmetic = float32}, see below).
 *
 * <h2>Reference quirks</h2>
 * <ul>
 *   <li>Single-member and equal-reward state groups are dropped (mask zeroed), while the
 *       per-turn mode never drops a zero-variance turn; both reproduced in every setting.</li>
 *   <li>The reference computes in NumPy float32, where the std of some groups of five or more
 *       equal non-dyadic rewards comes out near 3e-8 {@code > eps}: such a group is trained
 *       (six rewards of 0.3 each get +0.7488) instead of being skipped, and in per-turn mode
 *       equal rewards are divided by a rounding residue. {@code arithmetic = float32} (preset
 *       {@code reference}) reproduces this: values rounded to float32, NumPy's pairwise
 *       float32 sums, float32 operations. The default {@code double} computes in double
 *       precision, where the std of equal values stays far below {@code eps} and the group is
 *       skipped as intended. Both agree on the golden vectors, which avoid such groups. (Row
 *       order inside a statistic is apportion's batch order, trajectory by trajectory; in
 *       float32 a different order than the reference's can move the last bit.)</li>
 *   <li>"batch std ≤ eps → all 0" in {@code mean_then_batch_whiten} cannot fire in exact
 *       arithmetic (every trained group has spread); kept for completeness.</li>
 * </ul>
 *
 * <h2>Edge cases</h2>
 * A batch without policy spans gets zeros. A policy span without a reward, a state key
 * missing on some policy span in state-group mode, or a non-integer {@code turn_index} is
 * refused with a {@link RolloutException}. Empty policy spans are turns (they count in the
 * statistics, as empty responses do in the reference) but carry no token.
 *
 * <p>Not group-local: the per-turn statistics and the batch whitening span the whole batch.
 * Stateless and thread-safe; runs sequentially (linear in the number of turns and tokens).
 *
 * <p>Cost: per-turn work (state keys numbered through an open-addressing string table, group
 * statistics over the turns) and two broadcasts of span values to the tokens (advantages and loss
 * weights, one fill per span each).
 */
public final class VprEstimator implements BufferedEstimator {
    /** Registry id. */
    public static final String ID = "vpr";
    /** Span signal: the turn's index in its episode. */
    public static final String TURN_INDEX = PolicySpans.TURN_INDEX;
    /** Span signal: non-zero for data-parallel padding rows. */
    public static final String IS_PADDING = "is_padding";
    /** Span signal: non-zero when the turn ended the episode. */
    public static final String IS_TERMINAL = "is_terminal";
    /** Span signal: non-zero when the turn ended the episode successfully. */
    public static final String TERMINAL_SUCCESS = "terminal_success";

    static final String GROUP_WHITEN = "group_whiten";
    static final String MEAN_THEN_BATCH_WHITEN = "mean_then_batch_whiten";
    static final String AUTO = "auto";
    static final String DOUBLE = "double";
    static final String FLOAT32 = "float32";

    /** Values of {@code state_group_advantage_mode}. */
    enum StateGroupMode {
        GROUP_WHITEN,
        MEAN_THEN_BATCH_WHITEN
    }

    /** Values of {@code grouping}. */
    enum Grouping {
        AUTO,
        STATE_GROUP,
        PER_TURN
    }

    /** Values of {@code arithmetic}. */
    enum Arithmetic {
        DOUBLE,
        FLOAT32
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("VPR turn-level advantage (oracle turn rewards normalized within state groups or per turn index)")
            .source(
                    "Yuan et al., arXiv 2605.10325; thu-nics/VPR@7fa8008 gigpo/core_gigpo.py compute_vpr_turn_level_advantage")
            .granularity(Granularity.TURN)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(false)
            .requires(
                    SignalRequirement.span("reward", "the symbolic oracle's score of each turn's action"),
                    SignalRequirement.span(
                            "state", "the state-group key of each candidate (optional: per-turn mode without it)"))
            .parameters(
                    ParamSpec.integer(
                            "min_group_size",
                            4,
                            1,
                            null,
                            "per-turn mode: a turn index with fewer kept turns uses the batch mean and std"),
                    ParamSpec.real(
                            "eps",
                            1e-8,
                            0.0,
                            null,
                            "added to every std; a group std <= eps marks an equal-reward group"),
                    ParamSpec.real(
                            "outcome_reward_scale",
                            0.0,
                            null,
                            null,
                            "terminal bonus scale * success added to terminal turns (paper 0.0, function default 1.0)"),
                    ParamSpec.choice(
                            "state_group_advantage_mode",
                            StateGroupMode.MEAN_THEN_BATCH_WHITEN,
                            "group_whiten: (r - mean)/(std + eps) per state group; mean_then_batch_whiten: centre per group, whiten over the batch"),
                    ParamSpec.choice(
                            "grouping",
                            Grouping.AUTO,
                            "auto: state groups when the batch has state keys, else per turn index"),
                    ParamSpec.choice(
                            "arithmetic",
                            Arithmetic.DOUBLE,
                            "double, or the reference's NumPy float32 (reproduces its rounding, e.g. equal non-dyadic groups that escape the skip)"))
            .preset(
                    "paper",
                    Map.of(
                            "min_group_size",
                            4,
                            "eps",
                            1e-8,
                            "outcome_reward_scale",
                            0.0,
                            "state_group_advantage_mode",
                            MEAN_THEN_BATCH_WHITEN,
                            "grouping",
                            AUTO,
                            "arithmetic",
                            DOUBLE))
            .preset(
                    "reference",
                    Map.of(
                            "min_group_size",
                            4,
                            "eps",
                            1e-8,
                            "outcome_reward_scale",
                            1.0,
                            "state_group_advantage_mode",
                            GROUP_WHITEN,
                            "grouping",
                            AUTO,
                            "arithmetic",
                            FLOAT32))
            .summary("A = (r - mean)/(popstd + eps) over the candidates of a state (or all turns at a turn index); "
                    + "single-member and equal-reward state groups are dropped")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@inheritDoc} The per-token outputs go into {@code buffers} when given (every token is overwritten). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        int minGroup = params.getInt("min_group_size");
        double eps = params.getDouble("eps");
        double bonusScale = params.getDouble("outcome_reward_scale");
        boolean batchWhiten = params.getChoice("state_group_advantage_mode", StateGroupMode.class)
                == StateGroupMode.MEAN_THEN_BATCH_WHITEN;
        Grouping grouping = params.getChoice("grouping", Grouping.class);
        VprArithmetic ar = params.getChoice("arithmetic", Arithmetic.class) == Arithmetic.FLOAT32
                ? VprArithmetic.NUMPY_FLOAT32
                : VprArithmetic.DOUBLE;

        int[] rowSpan = PolicySpans.indices(batch);
        int n = rowSpan.length;
        // the loss weights go into the buffers' second array (the returns are the advantages)
        float[] adv = Outputs.advantages(buffers, batch.tokenCount());
        float[] weights = Outputs.second(buffers, batch.tokenCount());
        float[] spanAdv = new float[batch.spanCount()];
        if (n == 0) {
            if (buffers != null) {
                Arrays.fill(adv, 0f);
                Arrays.fill(weights, 0f);
            }
            return Credit.builder(adv)
                    .returns(adv)
                    .spanAdvantages(spanAdv)
                    .lossWeights(weights)
                    .diagnostic("turns", 0)
                    .build();
        }
        boolean stateMode;
        switch (grouping) {
            case STATE_GROUP:
                stateMode = true;
                break;
            case PER_TURN:
                stateMode = false;
                break;
            default:
                stateMode = batch.spanState() != null;
        }

        double[] r = effectiveRewards(batch, rowSpan, bonusScale, ar);
        boolean[] padding = flags(batch, rowSpan, IS_PADDING);
        boolean[] skip = padding.clone();
        double[] a = new double[n];
        int[] keptRows = new int[n];
        int kept = 0;
        for (int k = 0; k < n; k++) if (!padding[k]) keptRows[kept++] = k;

        long groups = 0;
        long skippedGroups = 0;
        double batchMean = 0.0;
        double batchStd = 0.0;
        if (stateMode) {
            String[] state = batch.requireSpanState(ID);
            StateIds ids = new StateIds(16);
            int[] key = new int[n];
            for (int q = 0; q < kept; q++) { // padding rows never join a state group
                int k = keptRows[q];
                key[k] = ids.index(state[rowSpan[k]]);
            }
            groups = ids.size();
            int[][] members = members(key, keptRows, kept, ids.size());
            for (int[] g : members) {
                double sd = g.length >= 2 ? ar.std(r, g, g.length) : 0.0;
                if (g.length < 2 || !(sd > eps)) {
                    skippedGroups++;
                    for (int k : g) skip[k] = true;
                    continue;
                }
                double mean = ar.mean(r, g, g.length);
                double denom = ar.add(sd, eps);
                for (int k : g) {
                    double c = ar.sub(r[k], mean);
                    a[k] = batchWhiten ? c : ar.div(c, denom);
                }
            }
            if (batchWhiten) {
                int[] trained = new int[kept];
                int m = 0;
                for (int q = 0; q < kept; q++) if (!skip[keptRows[q]]) trained[m++] = keptRows[q];
                if (m > 0) {
                    batchMean = ar.mean(a, trained, m);
                    batchStd = ar.std(a, trained, m);
                    double denom = ar.add(batchStd, eps);
                    for (int q = 0; q < m; q++) {
                        int k = trained[q];
                        a[k] = batchStd > eps ? ar.div(ar.sub(a[k], batchMean), denom) : 0.0;
                    }
                }
            }
        } else if (kept > 0) {
            int[] turn = PolicySpans.turnIndices(batch, rowSpan);
            double gm = ar.mean(r, keptRows, kept);
            double gs = ar.add(ar.std(r, keptRows, kept), eps);
            int[] distinct = distinctKeptTurns(turn, padding);
            int[] key = new int[n];
            for (int q = 0; q < kept; q++) key[keptRows[q]] = Arrays.binarySearch(distinct, turn[keptRows[q]]);
            groups = distinct.length;
            for (int[] g : members(key, keptRows, kept, distinct.length)) {
                boolean own = g.length >= minGroup;
                double mean = own ? ar.mean(r, g, g.length) : gm;
                double sd = own ? ar.add(ar.std(r, g, g.length), eps) : gs;
                for (int k : g) a[k] = ar.div(ar.sub(r[k], mean), sd);
            }
        }

        long skippedTurns = 0;
        long paddingTurns = 0;
        float[] spanWeight = new float[batch.spanCount()];
        for (int k = 0; k < n; k++) {
            if (padding[k]) paddingTurns++;
            if (skip[k]) {
                skippedTurns++;
                continue;
            }
            int s = rowSpan[k];
            spanAdv[s] = (float) a[k];
            spanWeight[s] = 1f;
        }
        Outputs.spanBroadcast(batch, spanAdv, adv);
        Outputs.spanBroadcast(batch, spanWeight, weights);
        Credit.Builder out = Credit.builder(adv)
                .returns(adv)
                .spanAdvantages(spanAdv)
                .lossWeights(weights)
                .diagnostic("turns", n)
                .diagnostic("padding_turns", paddingTurns)
                .diagnostic("skipped_turns", skippedTurns)
                .diagnostic("state_group_mode", stateMode ? 1 : 0)
                .diagnostic(stateMode ? "state_groups" : "turn_indices", groups);
        if (stateMode) {
            out.diagnostic("skipped_state_groups", skippedGroups);
            if (batchWhiten) out.diagnostic("batch_adv_mean", batchMean).diagnostic("batch_adv_std", batchStd);
        }
        return out.build();
    }

    /** Rows of each key, in batch order (CSR turned into one array per key). */
    private static int[][] members(int[] key, int[] rows, int count, int keys) {
        int[] size = new int[keys];
        for (int q = 0; q < count; q++) size[key[rows[q]]]++;
        int[][] out = new int[keys][];
        for (int g = 0; g < keys; g++) out[g] = new int[size[g]];
        int[] fill = new int[keys];
        for (int q = 0; q < count; q++) {
            int k = rows[q];
            out[key[k]][fill[key[k]]++] = k;
        }
        return out;
    }

    private static double[] effectiveRewards(Rollouts batch, int[] rowSpan, double bonusScale, VprArithmetic ar) {
        float[] reward = batch.spanReward();
        int[] trajOf = PolicySpans.spanTrajectory(batch);
        double[] r = new double[rowSpan.length];
        for (int k = 0; k < rowSpan.length; k++) {
            int s = rowSpan[k];
            if (reward == null || Float.isNaN(reward[s])) {
                int i = trajOf[s];
                throw new RolloutException(
                        batch.describe(i) + ": policy span " + (s - batch.spanStart(i))
                                + " has no reward (spans[" + (s - batch.spanStart(i)) + "].reward), which estimator '"
                                + ID
                                + "' needs: the oracle's score of the turn",
                        i,
                        "spans[" + (s - batch.spanStart(i)) + "].reward");
            }
            r[k] = ar.round(reward[s]);
        }
        if (bonusScale == 0.0) return r;
        float[] terminal = batch.spanSignal(IS_TERMINAL);
        float[] success = batch.spanSignal(TERMINAL_SUCCESS);
        float[] outcome = batch.outcome();
        for (int k = 0; k < rowSpan.length; k++) {
            int s = rowSpan[k];
            int i = trajOf[s];
            boolean isTerminal = terminal != null ? nonZero(terminal[s]) : s == lastPolicySpan(batch, i);
            if (!isTerminal) continue;
            double ok = success != null
                    ? (nonZero(success[s]) ? 1.0 : 0.0)
                    : outcome == null || Float.isNaN(outcome[i]) ? 0.0 : outcome[i];
            r[k] = ar.add(r[k], ar.mul(ar.round(bonusScale), ok));
        }
        return r;
    }

    private static int lastPolicySpan(Rollouts batch, int i) {
        for (int s = batch.spanEnd(i) - 1; s >= batch.spanStart(i); s--) if (batch.isPolicySpan(s)) return s;
        return -1;
    }

    private static boolean nonZero(float v) {
        return !Float.isNaN(v) && v != 0f;
    }

    private static boolean[] flags(Rollouts batch, int[] rowSpan, String signal) {
        float[] v = batch.spanSignal(signal);
        boolean[] out = new boolean[rowSpan.length];
        if (v == null) return out;
        for (int k = 0; k < rowSpan.length; k++) out[k] = nonZero(v[rowSpan[k]]);
        return out;
    }

    private static int[] distinctKeptTurns(int[] turn, boolean[] padding) {
        int[] t = new int[turn.length];
        int m = 0;
        for (int k = 0; k < turn.length; k++) if (!padding[k]) t[m++] = turn[k];
        t = Arrays.copyOf(t, m);
        Arrays.sort(t);
        int u = 0;
        for (int k = 0; k < m; k++) if (k == 0 || t[k] != t[k - 1]) t[u++] = t[k];
        return Arrays.copyOf(t, u);
    }

    /**
     * State keys numbered in order of first appearance (equal strings share a number, as a
     * {@code HashMap<String, Integer>} with {@code putIfAbsent(state, size)} numbers them): an
     * open-addressing table of the strings and their numbers, no boxing.
     */
    static final class StateIds {
        private String[] keys;
        private int[] ids;
        private int size;

        StateIds(int expected) {
            int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
            keys = new String[cap];
            ids = new int[cap];
            Arrays.fill(ids, -1);
        }

        int index(String key) {
            int mask = keys.length - 1;
            int slot = slot(key, mask);
            while (ids[slot] >= 0) {
                if (java.util.Objects.equals(keys[slot], key)) return ids[slot];
                slot = (slot + 1) & mask;
            }
            keys[slot] = key;
            ids[slot] = size;
            if (++size * 2 > keys.length) grow();
            return size - 1;
        }

        int size() {
            return size;
        }

        private static int slot(String key, int mask) {
            int h = key == null ? 0 : key.hashCode() * 0x9E3779B1;
            return (h ^ (h >>> 16)) & mask;
        }

        private void grow() {
            String[] oldKeys = keys;
            int[] oldIds = ids;
            keys = new String[oldKeys.length * 2];
            ids = new int[oldIds.length * 2];
            Arrays.fill(ids, -1);
            int mask = keys.length - 1;
            for (int s = 0; s < oldKeys.length; s++) {
                if (oldIds[s] < 0) continue;
                int slot = slot(oldKeys[s], mask);
                while (ids[slot] >= 0) slot = (slot + 1) & mask;
                keys[slot] = oldKeys[s];
                ids[slot] = oldIds[s];
            }
        }
    }
}

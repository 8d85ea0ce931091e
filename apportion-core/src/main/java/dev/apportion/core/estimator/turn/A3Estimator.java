package dev.apportion.core.estimator.turn;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.kernel.EditDistance;
import dev.apportion.core.kernel.LongIntMap;
import dev.apportion.core.kernel.NumpySum;
import dev.apportion.core.kernel.PolicySpans;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A³, action advantage assignment for CLI agents ({@code a3}): a robust episode-level
 * backbone, a multi-scale "intent" residual that compares a trajectory with the trajectories
 * of its prompt group whose bash commands cluster with its own, and a decision-tree return
 * that credits the turns where trajectories sharing an intent history took different
 * actions, fused with per-component scale normalization and a soft bound.
 *
 * <h2>Turns on apportion's model</h2>
 * One turn (one row of the reference: one model response with one bash command) is one policy
 * span, in batch order; its group is the prompt group ({@code uid}), its trajectory the
 * episode ({@code traj_uid}). Per turn:
 * <ul>
 *   <li><b>episode reward</b> {@code R}: the span signal {@code episode_reward} where given,
 *       else the trajectory outcome (else the sum of its outcome components; a turn with none
 *       is refused). verl-agent writes the episode return on every row, so it is normally the
 *       outcome; the span signal exists for the reference's rows whose rewards differ within
 *       an episode;</li>
 *   <li><b>turn index</b>: span signal {@code turn_index}, or the span's position among its
 *       trajectory's policy spans;</li>
 *   <li><b>text</b>: the concatenated {@link Rollouts#tokenText() token text} of the span (the
 *       reference decodes the masked response tokens); the token text is required. Its
 *       <b>bash</b> is the content of the first {@code <code>…</code>} block (tags in any case,
 *       surrounding whitespace stripped), or, without one, the whole text stripped and cut to
 *       8192 characters; an empty response gives {@code ""}.</li>
 * </ul>
 *
 * <h2>Intent distance</h2>
 * {@code d(a, b) = Lev(sig a, sig b) / max(|sig a|, |sig b|, 1)}, a token-level Levenshtein
 * distance between intent signatures. The authors compute {@code sig} by parsing the bash with
 * tree-sitter-bash ({@code BashIntentActionSpace}: control-structure kinds, command verbs and
 * normalized literal words). No tree-sitter parse is available here, so the registered
 * estimator uses the stand-in of the golden vectors, {@code sig(s) = s.split()} (runs of
 * non-whitespace; parameter {@code intent_signature = whitespace_split}); construct
 * {@link #A3Estimator(IntentSignature, String)} to plug in another signature.
 *
 * <h2>Formula</h2>
 * <ol>
 *   <li><b>Backbone.</b> Each trajectory's representative is its first turn; its score is that
 *       turn's {@code R}. In each group: {@code c} = lower median of the scores,
 *       {@code MAD} = lower median of {@code |score − c|}, {@code scale = max(1.4826·MAD, 0.5)
 *       + ε}; {@code backbone = tanh((score − c)/scale)} on every turn of the trajectory.</li>
 *   <li><b>Intent residual.</b> Per trajectory, {@code turns}: turn index → bash (a later turn
 *       with the same index overwrites) and {@code score} = {@code R} of its last turn. For
 *       each group, each turn index {@code k} and each scope {@code s} of
 *       {@code intent_scopes}: the trajectories {@code T_k} having turn {@code k} get a
 *       snippet: {@code s = 1} the bash at {@code k}; {@code s = −1} all turns joined by
 *       {@code "\n"} (future turns included); otherwise the last {@code s} turns ≤ {@code k},
 *       joined. They are clustered by single linkage into {@code k* = max(1, min(m, ⌈m/τ⌉))}
 *       clusters ({@code m = |T_k|}, {@code τ = trie_min_count}): pairs in ascending distance
 *       are merged until {@code k*} clusters remain. Leave-one-out mean {@code lm} of a member:
 *       mean score of the other members of its cluster, its own score when alone (or when
 *       {@code m = 1}). {@code residual_i = Σ_s w_s (R_i − lm(i, s))} with
 *       {@code w = W/(ΣW + 1e-12)}; the cluster labels form the turn's intent vector.</li>
 *   <li><b>Bounded intent term</b> = step 1 applied to the residuals (so only each
 *       trajectory's first turn matters).</li>
 *   <li><b>Tree return.</b> {@code H(u, v) = Σ_s ws_s [u_s ≠ v_s]}, {@code ws = W/(ΣW + 1e-9)}.
 *       Two turns of a group with the same index {@code k} are in the same state when their
 *       trajectories have the same set of turn indices below {@code k} and, listing those
 *       ascending as {@code t_0 < … < t_{m−1}}, {@code Σ_q tw_q·H(vec t_q, vec' t_q) ≤ τ_tree}
 *       with {@code tw_q = δ^q/(Σ δ^{q'} + 1e-9)} (the earliest turn weighs most); states are
 *       the connected components. Within a state, turns whose intent vectors at {@code k}
 *       satisfy {@code H ≤ τ_tree} share an action bucket (components again). For a state with
 *       more than one turn and more than one action bucket: {@code parent} = mean {@code R}
 *       over the state, per action bucket of {@code n_a} turns {@code shrink = n_a/(n_a + p +
 *       ε)}, {@code gain = shrink·(mean R of the bucket − parent)}, {@code support = shrink};
 *       other turns get 0. Backwards over each trajectory's turns in turn-index order:
 *       {@code G = gain + γ·G_next}, {@code S = support + γ·S_next};
 *       {@code tree = S/(S + p + ε)·G}.</li>
 *   <li><b>Fusion.</b> {@code mae_x = mean|x| + 1e-9} over all turns of the batch;
 *       {@code pre = backbone/mae_b + w_trie·bounded/mae_t + w_action_cluster·tree/mae_c};
 *       {@code A = B·tanh(pre/B)} on every token of the turn. Returns equal the advantages;
 *       span advantages hold {@code A} per policy span; the diagnostics hold the reference's
 *       debug metrics {@code merge_mae_backbone}, {@code merge_mae_trie},
 *       {@code merge_mae_tree}, {@code tree_gate_mean} and {@code final_abs_mean}.
 *       {@link #components} returns every intermediate term per turn.</li>
 * </ol>
 *
 * <h2>Source</h2>
 * H. Su, Y. Wen, "Learning CLI Agents with Structured Action Credit under Selective
 * Observation", arXiv 2605.08013; code Hoyant-Su/Agentic-RL-A3 @ 44f22cc,
 * {@code main_entry/cli_agent_bash_coding/algo/A3_algo.py} {@code compute_A3_algo_advantage}
 * with {@code stable_ops.py} and
 * {@code tooling/action_space_similarity/bash_intent_action_space.py}; defaults from
 * {@code train/A3_algo/config.yaml}. Fidelity {@code reference}: the golden vectors of
 * {@code vpr-r3l-a3.jsonl} pass (they use the whitespace-split signature, see above).
 *
 * <h2>Parameters and presets</h2>
 * Defaults = preset {@code reference} = {@code config.yaml}: {@code epsilon} 1e-6,
 * {@code adv_bound} 1.1, {@code trie_min_count} 2, {@code w_trie} 0.65,
 * {@code support_prior} 0.1, {@code decision_gamma} 0.9, {@code w_action_cluster} 1.0,
 * {@code intent_scopes} [1, 2, 3, −1], {@code w_intent_scopes} [0.25, 0.25, 0.25, 0.25],
 * {@code A3_algo_tree_intent_match_tau} 0.05, {@code A3_algo_tree_bucket_time_decay} 0.84
 * (the function's own default is 0.85). Names are the reference's config keys. The
 * reference's {@code multi_turn} flag only chooses which mask is the response mask; here the
 * policy tokens are the mask.
 *
 * <h2>Reference quirks</h2>
 * <ul>
 *   <li>The reference lists a prompt's trajectories from a Python set, so its order, and with
 *       it the single-linkage result when equal distances decide the cut, changes with
 *       {@code PYTHONHASHSEED}. apportion orders them by trajectory id (then batch order) and
 *       sorts pairs stably by distance, so results are deterministic and independent of the
 *       batch order; they agree with the reference whenever the cut is not a tie (the golden
 *       vectors are checked to have none).</li>
 *   <li>The intent residual is computed per turn but, through the representatives, only each
 *       trajectory's first turn reaches the advantage; later turns act through the tree
 *       term only. The backbone uses a trajectory's first turn's {@code R}, the leave-one-out
 *       scores its last turn's, the residual and the tree each turn's own: different only
 *       when {@code R} varies within a trajectory. The scope −1 snippet includes future turns.
 *       All reproduced.</li>
 *   <li>The reference runs inside the actor update on each data-parallel shard, so its groups
 *       and scale normalizations are per shard; apportion normalizes over the batch it is
 *       given (call it per shard to match).</li>
 *   <li>The reference computes in float32, and the scale normalization divides a component
 *       that is zero in exact arithmetic but 1e-8 in float32 (equal non-dyadic rewards) by
 *       about 1e-9, blowing it up to O(1). apportion computes in double, where such residue
 *       stays below 1e-15 and is harmless; not reproduced.</li>
 * </ul>
 *
 * <h2>Edge cases</h2>
 * Trajectories without policy spans are ignored. Empty policy spans are turns with bash
 * {@code ""} (signature {@code []}). A batch without turns gets zeros. {@code intent_scopes}
 * must be non-empty whole numbers and as long as {@code w_intent_scopes}.
 *
 * <h2>Cost</h2>
 * Bounded by text work, not memory traffic. Each group's work (on one thread) reads the bash of its
 * trajectories' turns from the token text into a per-thread character buffer, only up to the end
 * of the first {@code <code>} block, and interns its whitespace-split words to integers straight
 * from the characters ({@link #assign} keeps no string per turn; {@link #components} also returns
 * each turn's bash). Each distinct snippet of a group (per trajectory, turn position and scope;
 * once per trajectory for scope −1) is interned once, looked up from its turns' words without being
 * copied, and single-linkage clustering compares the trajectories of a group at each turn index and
 * scope with the group's cached distances: each distinct pair of signatures is compared once, by
 * the exact bit-parallel {@link EditDistance}. The clustering stays quadratic in the group size.
 * The tree's state test of two turns is one comparison unless their trajectories' intent labels
 * differ before the turn (two prefix lengths per pair of trajectories, computed once per group).
 * The tables live in per-thread scratch reset per group. The derived floor of {@code apportion
 * perf} reads one text reference per token and counts none of this (docs/performance.md gives the
 * numbers).
 *
 * <p>Not group-local (the fusion scales are batch means). Stateless and thread-safe; with an
 * {@link Execution} of several threads the groups' work runs in parallel with results identical to
 * the sequential run, split by estimated work (private {@code groupWork}), not by tokens: a batch whose
 * groups hold little clustering work (e.g. one long response per trajectory) stays on one thread.
 */
public final class A3Estimator implements Estimator {
    /** Registry id. */
    public static final String ID = "a3";
    /** Span signal: the episode reward of a turn, where it differs from the trajectory outcome. */
    public static final String EPISODE_REWARD = "episode_reward";
    /** Name of the whitespace-split intent signature. */
    public static final String WHITESPACE_SPLIT = "whitespace_split";

    private static final double RESIDUAL_EPS = 1e-9;
    private static final double MAD_SCALE = 1.4826;
    private static final double MIN_SCALE = 0.5;

    /**
     * Intent signature of a bash snippet: a list of tokens compared by Levenshtein distance.
     * Implementations must be thread-safe when the estimator runs with several threads.
     */
    @FunctionalInterface
    public interface IntentSignature {
        /**
         * The signature of {@code bash}.
         *
         * @return a fresh array of tokens (no null elements)
         */
        String[] of(String bash);
    }

    private final IntentSignature signature;
    private final Descriptor descriptor;
    /**
     * Whether the signature of turns joined by {@code "\n"} is the concatenation of the turns'
     * signatures: true for the whitespace split ({@code "\n"} is whitespace, so no token spans
     * the separator and empty turns add nothing), so snippets are built from per-turn
     * signatures without joining or splitting text; false for a plugged-in signature.
     */
    private final boolean concatenative;

    /** The registered estimator, with the whitespace-split signature of the golden vectors. */
    public A3Estimator() {
        this(A3Text::whitespaceSplit, WHITESPACE_SPLIT, true);
    }

    /**
     * An A³ estimator with another intent signature (for example a bash parse like the
     * authors'). It keeps the id {@value #ID}; do not register two.
     *
     * @param signature intent signature of a bash snippet
     * @param name its name, the only accepted value of parameter {@code intent_signature}
     */
    public A3Estimator(IntentSignature signature, String name) {
        this(signature, name, false);
    }

    private A3Estimator(IntentSignature signature, String name, boolean concatenative) {
        this.concatenative = concatenative;
        this.signature = Objects.requireNonNull(signature, "signature");
        Objects.requireNonNull(name, "name");
        this.descriptor = Descriptor.builder(ID)
                .title("A³ action advantage (robust backbone + multi-scale intent residual + decision-tree return)")
                .source(
                        "Su, Wen, arXiv 2605.08013; Hoyant-Su/Agentic-RL-A3@44f22cc main_entry/cli_agent_bash_coding/algo/"
                                + "A3_algo.py compute_A3_algo_advantage (intent signature: " + name + ")")
                .granularity(Granularity.TURN)
                .methodology(Methodology.MONTE_CARLO)
                .fidelity(Fidelity.REFERENCE)
                .groupLocal(false)
                .requires(
                        SignalRequirement.trajectory(
                                "reward", "the episode reward (outcome, or span signal episode_reward)"),
                        SignalRequirement.token(
                                "text", "the decoded response tokens, holding the bash command in <code>...</code>"))
                .parameters(
                        ParamSpec.real(
                                "epsilon", 1e-6, 0.0, null, "added to the robust scales and to the tree shrinkage"),
                        ParamSpec.real(
                                "adv_bound", 1.1, 1e-12, null, "final advantage = adv_bound*tanh(pre/adv_bound)"),
                        ParamSpec.integer(
                                "trie_min_count",
                                2,
                                1,
                                null,
                                "target cluster size: k* = ceil(m / trie_min_count) clusters"),
                        ParamSpec.real("w_trie", 0.65, null, null, "weight of the bounded intent residual"),
                        ParamSpec.real(
                                "support_prior",
                                0.1,
                                0.0,
                                null,
                                "prior count p in the shrinkage n/(n+p+eps) and the gate S/(S+p+eps)"),
                        ParamSpec.real("decision_gamma", 0.9, 0.0, 1.0, "discount of the backward tree return"),
                        ParamSpec.real("w_action_cluster", 1.0, null, null, "weight of the tree component"),
                        ParamSpec.realList(
                                "intent_scopes",
                                List.of(1.0, 2.0, 3.0, -1.0),
                                "snippet scopes: 1 = this turn, s > 1 = last s turns up to this one, -1 = whole trajectory"),
                        ParamSpec.realList("w_intent_scopes", List.of(0.25, 0.25, 0.25, 0.25), "weight of each scope"),
                        ParamSpec.real(
                                "A3_algo_tree_intent_match_tau",
                                0.05,
                                0.0,
                                null,
                                "tree buckets: weighted Hamming distance of intent vectors <= tau means the same state/action"),
                        ParamSpec.real(
                                "A3_algo_tree_bucket_time_decay",
                                0.84,
                                0.0,
                                null,
                                "decay of the prefix time weights (earliest turn weighs most; function default 0.85)"),
                        ParamSpec.choice(
                                "intent_signature",
                                name,
                                List.of(name),
                                "how a bash snippet becomes intent tokens (the authors: tree-sitter-bash; here: " + name
                                        + ")"))
                .preset(
                        "reference",
                        Map.of(
                                "epsilon",
                                1e-6,
                                "adv_bound",
                                1.1,
                                "trie_min_count",
                                2,
                                "w_trie",
                                0.65,
                                "support_prior",
                                0.1,
                                "decision_gamma",
                                0.9,
                                "w_action_cluster",
                                1.0,
                                "intent_scopes",
                                List.of(1.0, 2.0, 3.0, -1.0),
                                "w_intent_scopes",
                                List.of(0.25, 0.25, 0.25, 0.25),
                                "A3_algo_tree_intent_match_tau",
                                0.05))
                .summary(
                        "A = B*tanh((backbone/mae_b + w_trie*intent/mae_t + w_tree*tree/mae_c)/B): robust episode score, "
                                + "leave-one-out residual within intent clusters, shrunk action-vs-state gains discounted over turns")
                .build();
    }

    @Override
    public Descriptor descriptor() {
        return descriptor;
    }

    /**
     * Every intermediate term of one call, per turn (policy span) in batch order.
     *
     * @param spans global span index of each turn
     * @param bash the bash command read from each turn
     * @param reward {@code R} of each turn
     * @param backbone the backbone term
     * @param trieResidual the multi-scale intent residual
     * @param trieBounded the bounded intent term
     * @param treeReturn the backward tree return {@code G}
     * @param treeSupport the backward support {@code S}
     * @param treeGate {@code S/(S + p + ε)}
     * @param scalarAdvantage the final advantage of each turn
     * @param maeBackbone {@code mean|backbone| + 1e-9}
     * @param maeTrie {@code mean|bounded| + 1e-9}
     * @param maeTree {@code mean|tree| + 1e-9}
     */
    public record Components(
            int[] spans,
            String[] bash,
            double[] reward,
            double[] backbone,
            double[] trieResidual,
            double[] trieBounded,
            double[] treeReturn,
            double[] treeSupport,
            double[] treeGate,
            double[] scalarAdvantage,
            double maeBackbone,
            double maeTrie,
            double maeTree) {}

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        return assign(batch, params, execution, null);
    }

    /** {@inheritDoc} The per-token outputs go into {@code buffers} when given (every token is overwritten). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        Components c = compute(batch, params, execution, false);
        float[] spanAdv = new float[batch.spanCount()];
        double gate = 0.0;
        double finalAbs = 0.0;
        int n = c.spans.length;
        for (int k = 0; k < n; k++) {
            spanAdv[c.spans[k]] = (float) c.scalarAdvantage[k];
            gate += c.treeGate[k];
            finalAbs += Math.abs(c.scalarAdvantage[k]);
        }
        float[] adv = Outputs.spanBroadcast(batch, spanAdv, Outputs.advantages(buffers, batch.tokenCount()));
        return Credit.builder(adv)
                .returns(adv)
                .spanAdvantages(spanAdv)
                .diagnostic("turns", n)
                .diagnostic("merge_mae_backbone", c.maeBackbone)
                .diagnostic("merge_mae_trie", c.maeTrie)
                .diagnostic("merge_mae_tree", c.maeTree)
                .diagnostic("tree_gate_mean", n == 0 ? 0.0 : gate / n)
                .diagnostic("final_abs_mean", n == 0 ? 0.0 : finalAbs / n)
                .build();
    }

    /**
     * Runs A³ and returns every intermediate term (what {@link #assign} broadcasts), in fresh
     * arrays owned by the caller.
     */
    public Components components(Rollouts batch, Params params, Execution execution) {
        return compute(batch, params, execution, true);
    }

    /**
     * {@link #components}; {@code withBash} whether to keep each turn's bash as a string (else
     * {@link Components#bash()} is null: the whitespace-split signature reads the words straight
     * from the token text in each group's work, and {@link #assign} needs no string per turn).
     */
    private Components compute(Rollouts batch, Params params, Execution execution, boolean withBash) {
        Settings cfg = Settings.of(params);
        Turns t = Turns.of(batch, withBash || !concatenative);
        int n = t.n;
        double[] backbone = new double[n];
        double[] residual = new double[n];
        double[] bounded = new double[n];
        double[] gain = new double[n];
        double[] support = new double[n];
        double[] treeReturn = new double[n];
        double[] treeSupport = new double[n];
        double[] gate = new double[n];
        double[] scalar = new double[n];
        if (n == 0) {
            return new Components(
                    t.span,
                    t.bash,
                    t.reward,
                    backbone,
                    residual,
                    bounded,
                    treeReturn,
                    treeSupport,
                    gate,
                    scalar,
                    RESIDUAL_EPS,
                    RESIDUAL_EPS,
                    RESIDUAL_EPS);
        }
        robustBound(t, t.reward, cfg.epsilon, backbone);
        double[][] timeWeights = timeWeights(cfg.decay, t);
        boolean zeroSumsExact = allFinite(timeWeights);
        // split by the groups' estimated work, not their tokens: a long single-turn response is one
        // turn whatever its length (its text is read only up to the end of its code block)
        execution.forRange(batch.groupCount(), groupWork(t, cfg.scopes.length), (chunk, from, to) -> {
            Scratch scratch = new Scratch();
            for (int g = from; g < to; g++)
                new GroupWork(t, cfg, g, timeWeights, zeroSumsExact, scratch).run(residual, gain, support);
        });
        robustBound(t, residual, cfg.epsilon, bounded);

        // backward tree return per trajectory, turns in turn-index order (stable)
        int[] order = new int[0];
        for (int i = 0; i < t.trajCount; i++) {
            int a = t.rowStart[i];
            int b = t.rowStart[i + 1];
            if (a == b) continue;
            if (order.length < b - a) order = new int[b - a];
            int m = b - a;
            for (int q = 0; q < m; q++) order[q] = a + q;
            for (int q = 1; q < m; q++) { // stable insertion sort by turn index
                int x = order[q];
                int p = q - 1;
                while (p >= 0 && t.turn[order[p]] > t.turn[x]) {
                    order[p + 1] = order[p];
                    p--;
                }
                order[p + 1] = x;
            }
            double runGain = 0.0;
            double runSupport = 0.0;
            for (int q = m - 1; q >= 0; q--) {
                int k = order[q];
                runGain = gain[k] + cfg.gamma * runGain;
                runSupport = support[k] + cfg.gamma * runSupport;
                treeReturn[k] = runGain;
                treeSupport[k] = runSupport;
            }
        }
        double[] tree = new double[n];
        for (int k = 0; k < n; k++) {
            gate[k] = treeSupport[k] / (treeSupport[k] + cfg.prior + cfg.epsilon);
            tree[k] = gate[k] * treeReturn[k];
        }
        double maeB = meanAbs(backbone) + RESIDUAL_EPS;
        double maeT = meanAbs(bounded) + RESIDUAL_EPS;
        double maeC = meanAbs(tree) + RESIDUAL_EPS;
        for (int k = 0; k < n; k++) {
            double pre = backbone[k] / maeB + cfg.wTrie * (bounded[k] / maeT) + cfg.wTree * (tree[k] / maeC);
            scalar[k] = cfg.bound * Math.tanh(pre / cfg.bound);
        }
        return new Components(
                t.span,
                t.bash,
                t.reward,
                backbone,
                residual,
                bounded,
                treeReturn,
                treeSupport,
                gate,
                scalar,
                maeB,
                maeT,
                maeC);
    }

    String[] signatureOf(String bash) {
        String[] sig = signature.of(bash);
        if (sig == null) throw new IllegalStateException("intent signature returned null for '" + bash + "'");
        return sig;
    }

    /**
     * The tree's prefix time weights {@code tw_q = δ^q / (Σ δ^q' + 1e-9)} for every prefix length a
     * trajectory of the batch can have (index m: a prefix of m turns), computed once per call.
     */
    private static double[][] timeWeights(double decay, Turns t) {
        int longest = 0;
        for (int[] ts : t.turns) longest = Math.max(longest, ts.length);
        double[][] out = new double[longest + 1][];
        for (int m = 0; m <= longest; m++) {
            double[] raw = new double[m];
            for (int q = 0; q < m; q++) raw[q] = Math.pow(decay, q);
            double denom = NumpySum.of(raw, 0, m) + RESIDUAL_EPS;
            double[] tw = new double[m];
            for (int q = 0; q < m; q++) tw[q] = raw[q] / denom;
            out[m] = tw;
        }
        return out;
    }

    /** Estimated fixed cost of one group's work, in nanoseconds (see {@link #groupWork}). */
    static final long GROUP_NS = 3_000;

    /** Estimated cost per turn (row), peer trajectory of its group and scope, in nanoseconds (see {@link #groupWork}). */
    static final long ROW_PEER_SCOPE_NS = 9;

    /**
     * Least estimated work of a range handed to another thread, in nanoseconds: 300 µs, twice the
     * {@link Execution#MIN_LIGHT_PS_PER_CHUNK} of a light pass, because this estimate is coarser (the
     * measured cost per unit varied twofold between the perf shapes).
     */
    static final long MIN_RANGE_NS = 300_000;

    /**
     * Cumulative estimated work of the groups' clustering and tree, the weights of the group split
     * (in units of {@link #MIN_RANGE_NS}{@code /}{@link Execution#MIN_TOKENS_PER_CHUNK}, so that
     * {@link Execution#forRange(int, int[], Execution.RangeBody)} hands a range to another thread only
     * when it carries at least {@link #MIN_RANGE_NS}): {@link #GROUP_NS} per group with turns plus
     * {@link #ROW_PEER_SCOPE_NS} per turn × trajectory of the group × scope (each turn's snippet is
     * compared with the group's others per scope; the tree's pair tests scale alike). Fitted on the
     * {@code perf} batches on the development VM (multi-turn: ~38 µs per group of 8 trajectories × 16
     * turns × 4 scopes; single-turn: ~5 µs per group of 8 one-turn trajectories). Token counts would
     * be the wrong weight: a single-turn group of 32,768 tokens is 8 turns of work, whose text is read
     * only up to the end of each code block. The split does not change the result.
     */
    private static int[] groupWork(Turns t, int gCount) {
        int groups = t.batch.groupCount();
        int[] members = t.batch.groupMembers();
        int[] start = t.batch.groupMemberStart();
        long[] ns = new long[groups + 1];
        for (int g = 0; g < groups; g++) {
            long rows = 0;
            long m = 0;
            for (int q = start[g]; q < start[g + 1]; q++) {
                int r = t.rowStart[members[q] + 1] - t.rowStart[members[q]];
                if (r > 0) {
                    m++;
                    rows += r;
                }
            }
            ns[g + 1] = ns[g] + (m == 0 ? 0 : GROUP_NS + ROW_PEER_SCOPE_NS * rows * m * gCount);
        }
        double scale = Math.min(
                (double) Execution.MIN_TOKENS_PER_CHUNK / MIN_RANGE_NS,
                (Integer.MAX_VALUE - 1.0) / Math.max(1, ns[groups]));
        int[] out = new int[groups + 1];
        for (int g = 0; g <= groups; g++) out[g] = (int) (ns[g] * scale);
        return out;
    }

    private static boolean allFinite(double[][] rows) {
        for (double[] row : rows) for (double v : row) if (!Double.isFinite(v)) return false;
        return true;
    }

    private static double meanAbs(double[] v) {
        double s = 0.0;
        for (double x : v) s += Math.abs(x);
        return s / v.length;
    }

    /**
     * The reference's robust bound of one value per trajectory (its first turn's), per group:
     * {@code tanh((x − lower median)/(max(1.4826·MAD, 0.5) + ε))}, written on every turn.
     *
     * @param values read, one per turn
     * @param out written, one per turn
     */
    private static void robustBound(Turns t, double[] values, double eps, double[] out) {
        double[] rep = new double[t.trajCount];
        double[] work = new double[t.trajCount];
        double[] dev = new double[t.trajCount];
        int[] members = t.batch.groupMembers();
        int[] start = t.batch.groupMemberStart();
        for (int g = 0; g < t.batch.groupCount(); g++) {
            int m = 0;
            for (int q = start[g]; q < start[g + 1]; q++) {
                int i = members[q];
                if (t.rowStart[i] == t.rowStart[i + 1]) continue;
                work[m++] = values[t.rowStart[i]];
            }
            if (m == 0) continue;
            double[] sorted = Arrays.copyOf(work, m);
            Arrays.sort(sorted);
            double c = sorted[(m - 1) / 2];
            for (int q = 0; q < m; q++) dev[q] = Math.abs(work[q] - c);
            Arrays.sort(dev, 0, m);
            double scale = Math.max(dev[(m - 1) / 2] * MAD_SCALE, MIN_SCALE) + eps;
            for (int q = start[g]; q < start[g + 1]; q++) {
                int i = members[q];
                if (t.rowStart[i] == t.rowStart[i + 1]) continue;
                rep[i] = Math.tanh((values[t.rowStart[i]] - c) / scale);
            }
        }
        for (int k = 0; k < t.n; k++) out[k] = rep[t.traj[k]];
    }

    /** Resolved parameters. */
    private record Settings(
            double epsilon,
            double bound,
            int trieMinCount,
            double wTrie,
            double prior,
            double gamma,
            double wTree,
            int[] scopes,
            double[] residualWeights,
            double[] hammingWeights,
            double tau,
            double decay) {
        static Settings of(Params p) {
            double[] s = p.getDoubleList("intent_scopes");
            double[] w = p.getDoubleList("w_intent_scopes");
            if (s.length == 0)
                throw new IllegalArgumentException(
                        "estimator '" + ID + "': parameter 'intent_scopes' must not be empty");
            if (w.length != s.length) {
                throw new IllegalArgumentException("estimator '" + ID + "': parameter 'w_intent_scopes' has " + w.length
                        + " weights but 'intent_scopes' has " + s.length + " scopes");
            }
            int[] scopes = new int[s.length];
            for (int i = 0; i < s.length; i++) {
                if (s[i] != Math.rint(s[i]) || Math.abs(s[i]) > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException(
                            "estimator '" + ID + "': parameter 'intent_scopes' must hold whole numbers, got " + s[i]
                                    + " at position " + i);
                }
                scopes[i] = (int) s[i];
            }
            double sum = NumpySum.of(w, 0, w.length);
            double[] residual = new double[w.length];
            double[] hamming = new double[w.length];
            for (int i = 0; i < w.length; i++) {
                residual[i] = w[i] / (sum + 1e-12);
                hamming[i] = w[i] / (sum + RESIDUAL_EPS);
            }
            return new Settings(
                    p.getDouble("epsilon"),
                    p.getDouble("adv_bound"),
                    p.getInt("trie_min_count"),
                    p.getDouble("w_trie"),
                    p.getDouble("support_prior"),
                    p.getDouble("decision_gamma"),
                    p.getDouble("w_action_cluster"),
                    scopes,
                    residual,
                    hamming,
                    p.getDouble("A3_algo_tree_intent_match_tau"),
                    p.getDouble("A3_algo_tree_bucket_time_decay"));
        }
    }

    /** The turns of a batch (policy spans in batch order) and their per-trajectory layout. */
    private static final class Turns {
        final Rollouts batch;
        final int n;
        final int trajCount;
        final int[] span;
        final int[] traj;
        final int[] turn;
        final double[] reward;
        /** Each turn's bash, or null when not kept ({@link #of}). */
        final String[] bash;
        /** Rows of trajectory i: [rowStart[i], rowStart[i+1]). */
        final int[] rowStart;
        /** Per trajectory: distinct turn indices ascending, the bash of each (last row wins), its score (last row's R). */
        final int[][] turns;

        final int[][] turnRow;
        /** Per row: the position of its turn index in its trajectory's distinct turns. */
        final int[] rowPos;

        final double[] score;

        private Turns(Rollouts batch, int[] span, int[] traj, int[] turn, double[] reward, String[] bash) {
            this.batch = batch;
            this.n = span.length;
            this.trajCount = batch.trajectoryCount();
            this.span = span;
            this.traj = traj;
            this.turn = turn;
            this.reward = reward;
            this.bash = bash;
            this.rowStart = new int[trajCount + 1];
            for (int k = 0; k < n; k++) rowStart[traj[k] + 1]++;
            for (int i = 0; i < trajCount; i++) rowStart[i + 1] += rowStart[i];
            this.turns = new int[trajCount][];
            this.turnRow = new int[trajCount][];
            this.rowPos = new int[n];
            this.score = new double[trajCount];
            for (int i = 0; i < trajCount; i++) {
                int a = rowStart[i];
                int b = rowStart[i + 1];
                int[] ts = Arrays.copyOfRange(turn, a, b);
                Arrays.sort(ts);
                int u = 0;
                for (int q = 0; q < ts.length; q++) if (q == 0 || ts[q] != ts[q - 1]) ts[u++] = ts[q];
                ts = Arrays.copyOf(ts, u);
                int[] rowOf = new int[u];
                for (int k = a; k < b; k++) {
                    int p = Arrays.binarySearch(ts, turn[k]);
                    rowPos[k] = p;
                    rowOf[p] = k; // later rows overwrite
                }
                turns[i] = ts;
                turnRow[i] = rowOf;
                if (b > a) score[i] = reward[b - 1];
            }
        }

        /** @param withBash whether to keep each turn's bash as a string */
        static Turns of(Rollouts batch, boolean withBash) {
            int[] span = PolicySpans.indices(batch);
            int[] trajOfSpan = PolicySpans.spanTrajectory(batch);
            int n = span.length;
            int[] traj = new int[n];
            for (int k = 0; k < n; k++) traj[k] = trajOfSpan[span[k]];
            int[] turn = PolicySpans.turnIndices(batch, span);
            double[] reward = rewards(batch, span, traj);
            String[] tokenText = batch.tokenText();
            int[] spanTok = batch.spanTokenOffsets();
            String[] bash = withBash ? new String[n] : null;
            A3Text.Scanner scanner = new A3Text.Scanner();
            for (int k = 0; k < n; k++) {
                int s = span[k];
                if (spanTok[s + 1] > spanTok[s] && tokenText == null) {
                    throw new RolloutException(
                            "estimator '" + ID + "' needs the token text (the decoded response, holding the bash "
                                    + "command in <code>...</code>), which the batch lacks (text)",
                            traj[k],
                            "text");
                }
                if (withBash)
                    bash[k] = spanTok[s + 1] > spanTok[s]
                            ? A3Text.bash(tokenText, spanTok[s], spanTok[s + 1], scanner)
                            : "";
            }
            return new Turns(batch, span, traj, turn, reward, bash);
        }

        private static double[] rewards(Rollouts batch, int[] span, int[] traj) {
            float[] perTurn = batch.spanSignal(EPISODE_REWARD);
            float[] outcome = batch.outcome();
            Map<String, float[]> comps = batch.outcomeComponents();
            double[] out = new double[span.length];
            for (int k = 0; k < span.length; k++) {
                int i = traj[k];
                if (perTurn != null && !Float.isNaN(perTurn[span[k]])) {
                    out[k] = perTurn[span[k]];
                } else if (outcome != null && !Float.isNaN(outcome[i])) {
                    out[k] = outcome[i];
                } else {
                    boolean any = false;
                    for (float[] c : comps.values()) {
                        if (!Float.isNaN(c[i])) {
                            out[k] += c[i];
                            any = true;
                        }
                    }
                    if (!any) {
                        int local = span[k] - batch.spanStart(i);
                        throw new RolloutException(
                                batch.describe(i) + ": policy span " + local + " has no episode reward: estimator '"
                                        + ID + "' reads the trajectory outcome or spans[" + local + "].signals."
                                        + EPISODE_REWARD,
                                i,
                                "outcome");
                    }
                }
            }
            return out;
        }

        /** Position of turn index {@code k} in trajectory {@code i}'s distinct turns, or a negative number. */
        int position(int i, int k) {
            return Arrays.binarySearch(turns[i], k);
        }

        /** Bash snippet of trajectory {@code i} at turn index {@code k} for one scope (the reference's rules). */
        String snippet(int i, int k, int scope) {
            long r = snippetRange(i, k, scope);
            int from = (int) (r >>> 32);
            int to = (int) r;
            if (scope == 1 && to == from + 1) return bash[turnRow[i][from]];
            return join(i, from, to);
        }

        /**
         * The turns (positions {@code [from, to)} in {@code turns[i]}) whose bash, joined by
         * {@code "\n"}, is {@link #snippet}: {@code (long) from << 32 | to}; an empty range for
         * {@code ""}.
         */
        long snippetRange(int i, int k, int scope) {
            int[] ts = turns[i];
            if (ts.length == 0) return 0L;
            if (scope == -1) return ts.length;
            int le = 0; // number of turns <= k
            while (le < ts.length && ts[le] <= k) le++;
            if (scope == 1) {
                int p = position(i, k);
                return p >= 0 ? ((long) p << 32) | (p + 1) : 0L;
            }
            if (le == 0) return 0L;
            int startIdx = -Math.min(scope, le); // Python slice keys[-min(scope, len):]
            if (startIdx < 0) startIdx += le;
            startIdx = Math.max(0, Math.min(le, startIdx));
            return ((long) startIdx << 32) | le;
        }

        private String join(int i, int from, int to) {
            StringBuilder sb = new StringBuilder();
            for (int q = from; q < to; q++) {
                if (q > from) sb.append('\n');
                sb.append(bash[turnRow[i][q]]);
            }
            return sb.toString();
        }
    }

    /**
     * The intent signatures of one group's snippets and their distances, each computed once: the
     * snippet of a trajectory for a scope at its turn position (the whole trajectory for scope
     * −1, whatever the turn) is built, split and interned on first use; signature tokens become
     * dense ids, and equal signatures the same snippet id, so that the distance of a pair of ids
     * is computed once per group (equal ids: 0) by the integer {@link EditDistance}. Caching
     * changes nothing: a distance is a function of the two signatures. Every table lives in the
     * thread's {@link Scratch}, reset per group: the words of each turn and the interned signatures
     * sit in flat pools, and a snippet is looked up from its turns' words without being copied.
     */
    private final class Snippets {
        private final Turns t;
        private final int[] trajs;
        private final int gCount;
        /** Turn slot of position 0 of each local trajectory: slot {@code slotStart[q] + position}. */
        private final int[] slotStart;
        /** Snippet id at [(slotStart[q] + position) * gCount + scope index] (position 0 for scope −1), −1 until built. */
        private final int[] idOf;
        /** Per turn slot: its words in {@code scratch.turnWords[turnFrom, turnTo)}; turnFrom −1 until built. */
        private final int[] turnFrom;

        private final int[] turnTo;
        private final Scratch scratch;

        Snippets(Turns t, int[] trajs, int gCount, Scratch scratch) {
            this.t = t;
            this.scratch = scratch;
            scratch.reset();
            this.trajs = trajs;
            this.gCount = gCount;
            this.slotStart = new int[trajs.length + 1];
            for (int q = 0; q < trajs.length; q++) slotStart[q + 1] = slotStart[q] + t.turns[trajs[q]].length;
            int slots = slotStart[trajs.length];
            this.idOf = new int[slots * gCount];
            Arrays.fill(idOf, -1);
            this.turnFrom = new int[slots];
            this.turnTo = new int[slots];
            Arrays.fill(turnFrom, -1);
        }

        /** Snippet id of local trajectory {@code q} at turn index {@code k} (its position {@code p}) for scope {@code si}. */
        int id(int q, int k, int p, int si, int scope) {
            int slot = (slotStart[q] + (scope == -1 ? 0 : p)) * gCount + si;
            int id = idOf[slot];
            if (id < 0) {
                if (concatenative) {
                    long range = t.snippetRange(trajs[q], k, scope);
                    int from = slotStart[q] + (int) (range >>> 32);
                    int to = slotStart[q] + (int) range;
                    for (int x = from; x < to; x++)
                        if (turnFrom[x] < 0) words(x, t.turnRow[trajs[q]][x - slotStart[q]]);
                    id = scratch.signatures.intern(scratch.turnWords, turnFrom, turnTo, from, to);
                } else {
                    int[] sym = symbols(signatureOf(t.snippet(trajs[q], k, scope)));
                    id = scratch.signatures.intern(sym, new int[] {0}, new int[] {sym.length}, 0, 1);
                }
                idOf[slot] = id;
            }
            return id;
        }

        /** Appends the word ids of the whitespace-split bash of turn (row) {@code k}, read from its token text, as slot {@code x}. */
        private void words(int x, int k) {
            int s = t.span[k];
            int[] spanTok = t.batch.spanTokenOffsets();
            int n = 0;
            A3Text.WordIds words = scratch.words;
            if (spanTok[s + 1] > spanTok[s]) { // else an empty response: bash ""
                A3Text.Scanner scanner = scratch.scanner;
                scanner.scan(t.batch.tokenText(), spanTok[s], spanTok[s + 1]);
                n = words.split(scanner.chars(), scanner.start(), scanner.end());
            }
            int at = scratch.turnWordsLen;
            if (at + n > scratch.turnWords.length)
                scratch.turnWords = Arrays.copyOf(scratch.turnWords, Math.max(at + n, 2 * scratch.turnWords.length));
            System.arraycopy(words.ids(), 0, scratch.turnWords, at, n);
            scratch.turnWordsLen = at + n;
            turnFrom[x] = at;
            turnTo[x] = at + n;
        }

        private int[] symbols(String[] sig) {
            int[] symbols = new int[sig.length];
            for (int j = 0; j < sig.length; j++) {
                char[] c = sig[j].toCharArray();
                symbols[j] = scratch.words.id(c, 0, c.length);
            }
            return symbols;
        }

        /** {@code Lev(sig a, sig b) / max(|sig a|, |sig b|, 1)}, as {@link A3Text#distance}. */
        double distance(int a, int b) {
            if (a == b) return 0.0;
            Signatures sig = scratch.signatures;
            int xa = sig.start[a];
            int xb = sig.start[a + 1];
            int ya = sig.start[b];
            int yb = sig.start[b + 1];
            long key = a < b ? ((long) a << 32) | b : ((long) b << 32) | a;
            LongIntMap levenshtein = scratch.levenshtein;
            int lev = levenshtein.get(key, -1);
            if (lev < 0) {
                lev = scratch.editDistance.distance(sig.pool, xa, xb, sig.pool, ya, yb);
                levenshtein.put(key, lev);
            }
            return lev / (double) Math.max(Math.max(xb - xa, yb - ya), 1);
        }
    }

    /** Per-thread scratch of the groups' work, reset per group. */
    private static final class Scratch {
        final A3Text.Scanner scanner = new A3Text.Scanner();
        final A3Text.WordIds words = new A3Text.WordIds();
        final Signatures signatures = new Signatures();
        /** Levenshtein distance of a pair of interned signatures (ids packed into one long), per group. */
        final LongIntMap levenshtein = new LongIntMap(64);

        final EditDistance editDistance = new EditDistance();
        /** The words of the group's turns, one run per turn slot ({@link Snippets}). */
        int[] turnWords = new int[256];

        int turnWordsLen;

        void reset() {
            words.clear();
            signatures.clear();
            levenshtein.clear();
            turnWordsLen = 0;
        }
    }

    /**
     * Interned signatures in one flat pool: equal symbol sequences get one id (in order of first
     * appearance since {@link #clear}); signature {@code id} is {@code pool[start[id], start[id + 1])}.
     */
    private static final class Signatures {
        int[] pool = new int[256];
        int[] start = new int[65];
        private int[] hash = new int[64];
        /** Open addressing: id + 1 per slot, 0 when empty. */
        private int[] table = new int[128];

        private int count;

        void clear() {
            if (count > 0) Arrays.fill(table, 0);
            count = 0;
        }

        /**
         * The id of the concatenation of the runs {@code src[from[x], to[x])} for {@code x} in
         * {@code [a, b)}, added when new.
         */
        int intern(int[] src, int[] from, int[] to, int a, int b) {
            int h = 1;
            int len = 0;
            for (int x = a; x < b; x++) {
                for (int i = from[x]; i < to[x]; i++) h = 31 * h + src[i];
                len += to[x] - from[x];
            }
            int mask = table.length - 1;
            int slot = A3Text.mix(h) & mask;
            for (int e; (e = table[slot]) != 0; slot = (slot + 1) & mask) {
                int id = e - 1;
                if (hash[id] == h && start[id + 1] - start[id] == len && equal(id, src, from, to, a, b)) return id;
            }
            int id = count++;
            if (id + 1 >= hash.length) {
                hash = Arrays.copyOf(hash, 2 * hash.length);
                start = Arrays.copyOf(start, hash.length + 1);
            }
            int at = start[id]; // start[0] is always 0
            if (at + len > pool.length) pool = Arrays.copyOf(pool, Math.max(at + len, 2 * pool.length));
            for (int x = a; x < b; x++) {
                System.arraycopy(src, from[x], pool, at, to[x] - from[x]);
                at += to[x] - from[x];
            }
            start[id + 1] = at;
            hash[id] = h;
            table[slot] = id + 1;
            if (2 * count > table.length) rehash();
            return id;
        }

        private boolean equal(int id, int[] src, int[] from, int[] to, int a, int b) {
            int p = start[id];
            for (int x = a; x < b; x++) {
                int n = to[x] - from[x];
                if (!Arrays.equals(pool, p, p + n, src, from[x], to[x])) return false;
                p += n;
            }
            return true;
        }

        private void rehash() {
            table = A3Text.grownTable(table.length, hash, count);
        }
    }

    /** The intent clustering, the residual and the tree gains of one group. */
    private final class GroupWork {
        private final Turns t;
        private final Settings cfg;
        private final int[] trajs; // the group's trajectories with turns, by id then batch order
        private final int g;
        /** Per trajectory (indexed as in {@code trajs}): labels[pos * G + si] and loo[pos * G + si]. */
        private final int[][] labels;

        private final double[][] loo;

        private final Snippets snippets;
        private final double[][] timeWeights;
        /** Whether every time weight is finite, so that a weighted sum of zero Hamming terms is exactly 0.0. */
        private final boolean zeroSumsExact;

        GroupWork(Turns t, Settings cfg, int g, double[][] timeWeights, boolean zeroSumsExact, Scratch scratch) {
            this.timeWeights = timeWeights;
            this.zeroSumsExact = zeroSumsExact;
            this.t = t;
            this.cfg = cfg;
            this.g = g;
            int[] members = t.batch.groupMembers();
            int from = t.batch.groupMemberStart()[g];
            int to = t.batch.groupMemberStart()[g + 1];
            int[] list = new int[to - from];
            int m = 0;
            for (int q = from; q < to; q++)
                if (t.rowStart[members[q]] < t.rowStart[members[q] + 1]) list[m++] = members[q];
            list = Arrays.copyOf(list, m);
            // order by trajectory id, then batch order (insertion sort: groups are small)
            for (int q = 1; q < m; q++) {
                int x = list[q];
                int p = q - 1;
                while (p >= 0 && compareTraj(list[p], x) > 0) {
                    list[p + 1] = list[p];
                    p--;
                }
                list[p + 1] = x;
            }
            this.trajs = list;
            this.labels = new int[m][];
            this.loo = new double[m][];
            int gCount = cfg.scopes.length;
            for (int q = 0; q < m; q++) {
                labels[q] = new int[t.turns[list[q]].length * gCount];
                loo[q] = new double[t.turns[list[q]].length * gCount];
            }
            this.snippets = new Snippets(t, list, gCount, scratch);
        }

        private int compareTraj(int a, int b) {
            int c = t.batch.trajectoryId(a).compareTo(t.batch.trajectoryId(b));
            return c != 0 ? c : Integer.compare(a, b);
        }

        void run(double[] residual, double[] gain, double[] support) {
            int m = trajs.length;
            if (m == 0) return;
            int gCount = cfg.scopes.length;
            int[] allTurns = unionTurns();
            int[] here = new int[m]; // local indices of the trajectories having turn k
            int[] pos = new int[m]; // position of k in each of them
            int[] next = new int[m]; // per trajectory: its first turn position not yet passed (k ascends)
            for (int k : allTurns) labelTurn(k, here, pos, next, gCount);
            residuals(residual, gCount);
            tree(allTurns, gain, support);
        }

        /**
         * Clusters the turns at turn index {@code k} of the group (every scope) and records their labels
         * and leave-one-out values; {@code next} advances past {@code k}. Its own method (as are the
         * other phases of {@link #run} and {@link #tree}), so that the JIT compiles each phase as a
         * small, often-invoked method instead of on-stack-replacing loops of one large method.
         */
        private void labelTurn(int k, int[] here, int[] pos, int[] next, int gCount) {
            int m = trajs.length;
            int mk = 0;
            for (int q = 0; q < m; q++) {
                int[] ts = t.turns[trajs[q]];
                int p = next[q];
                if (p < ts.length && ts[p] == k) {
                    here[mk] = q;
                    pos[mk++] = p;
                    next[q] = p + 1;
                }
            }
            for (int si = 0; si < gCount; si++) {
                int[] lab = cluster(here, pos, mk, k, si, cfg.scopes[si]);
                leaveOneOut(here, pos, mk, lab, si);
                for (int j = 0; j < mk; j++) labels[here[j]][pos[j] * gCount + si] = lab[j];
            }
        }

        /** The residual of every turn (row) of the group. */
        private void residuals(double[] residual, int gCount) {
            int m = trajs.length;
            for (int q = 0; q < m; q++) {
                int i = trajs[q];
                for (int k = t.rowStart[i]; k < t.rowStart[i + 1]; k++) {
                    int p = t.rowPos[k];
                    double acc = 0.0;
                    for (int si = 0; si < gCount; si++)
                        acc += cfg.residualWeights[si] * (t.reward[k] - loo[q][p * gCount + si]);
                    residual[k] = acc;
                }
            }
        }

        private int[] unionTurns() {
            int total = 0;
            for (int i : trajs) total += t.turns[i].length;
            int[] all = new int[total];
            int c = 0;
            for (int i : trajs) for (int k : t.turns[i]) all[c++] = k;
            Arrays.sort(all);
            int u = 0;
            for (int q = 0; q < total; q++) if (q == 0 || all[q] != all[q - 1]) all[u++] = all[q];
            return Arrays.copyOf(all, u);
        }

        // clustering scratch, sized for the whole group and reused at every turn index and scope
        private int[] outS;
        private int[] idsS;
        private int[] parentS;
        private int[] rankS;
        private double[] dS;
        private int[] eaS;
        private int[] ebS;
        private int[] orderA;
        private int[] orderB;

        /**
         * Single-linkage labels of the snippets of the {@code mk} trajectories {@code here} at turn k for one
         * scope, in {@code [0, mk)} of a scratch array (valid until the next call).
         */
        private int[] cluster(int[] here, int[] pos, int mk, int k, int si, int scope) {
            if (outS == null) {
                int m = trajs.length;
                int maxEdges = m * (m - 1) / 2;
                outS = new int[m];
                idsS = new int[m];
                parentS = new int[m];
                rankS = new int[m];
                dS = new double[maxEdges];
                eaS = new int[maxEdges];
                ebS = new int[maxEdges];
                orderA = new int[maxEdges];
                orderB = new int[maxEdges];
            }
            int[] out = outS;
            Arrays.fill(out, 0, mk, 0);
            if (mk <= 1) return out;
            int kStar = Math.max(1, Math.min(mk, (mk + cfg.trieMinCount - 1) / cfg.trieMinCount));
            if (kStar >= mk) {
                for (int j = 0; j < mk; j++) out[j] = j;
                return out;
            }
            if (kStar <= 1) return out;
            int[] ids = idsS;
            for (int j = 0; j < mk; j++) ids[j] = snippets.id(here[j], k, pos[j], si, scope);
            int edges = mk * (mk - 1) / 2;
            double[] d = dS;
            int[] ea = eaS;
            int[] eb = ebS;
            int e = 0;
            for (int a = 0; a < mk; a++) {
                for (int b = a + 1; b < mk; b++) {
                    d[e] = snippets.distance(ids[a], ids[b]);
                    ea[e] = a;
                    eb[e++] = b;
                }
            }
            int[] order = stableOrder(d, edges, orderA, orderB);
            int[] parent = parentS;
            int[] rank = rankS;
            for (int j = 0; j < mk; j++) {
                parent[j] = j;
                rank[j] = 0;
            }
            int comps = mk;
            for (int q = 0; q < edges && comps > kStar; q++) {
                int ra = find(parent, ea[order[q]]);
                int rb = find(parent, eb[order[q]]);
                if (ra == rb) continue;
                if (rank[ra] < rank[rb]) {
                    int x = ra;
                    ra = rb;
                    rb = x;
                }
                parent[rb] = ra;
                if (rank[ra] == rank[rb]) rank[ra]++;
                comps--;
            }
            for (int j = 0; j < mk; j++) out[j] = find(parent, j);
            return out;
        }

        private void leaveOneOut(int[] here, int[] pos, int mk, int[] lab, int si) {
            int gCount = cfg.scopes.length;
            for (int j = 0; j < mk; j++) {
                double own = t.score[trajs[here[j]]];
                double lm;
                if (mk <= 1) {
                    lm = own;
                } else {
                    int size = 0;
                    double total = 0.0;
                    for (int x = 0; x < mk; x++) {
                        if (lab[x] == lab[j]) {
                            size++;
                            total += t.score[trajs[here[x]]];
                        }
                    }
                    lm = size <= 1 ? own : (total - own) / (size - 1);
                }
                loo[here[j]][pos[j] * gCount + si] = lm;
            }
        }

        /**
         * State and action buckets per turn index, and the local gain and support of each turn. The
         * rows of the group are bucketed by turn index once (a counting sort keeps batch order within a
         * cell), and each pair of the group's trajectories gets two prefix lengths computed once: how many
         * leading turn indices they share, and how many leading turn positions have a zero Hamming
         * distance. A state test at position {@code p} is then one comparison unless the labels differ
         * before {@code p} (the weighted sum of zero terms is exactly 0 when the time weights are finite).
         */
        private void tree(int[] allTurns, double[] gain, double[] support) {
            int gCount = cfg.scopes.length;
            int m = trajs.length;
            // the group's trajectories in batch order, with their local indices (in trajs): no table
            // indexed by the batch's trajectories (allocating one per group was quadratic in the batch)
            int[] byIndex = new int[m];
            for (int q = 0; q < m; q++) byIndex[q] = q;
            sortLocalByTrajectory(byIndex);
            int maxRows = 0;
            for (int i : trajs) maxRows += t.rowStart[i + 1] - t.rowStart[i];
            int kCount = allTurns.length;
            // cells: the rows of each turn index, trajectories in batch order, rows in order
            int[] cellStart = new int[kCount + 1];
            int[] rowCell = new int[maxRows];
            int x = 0;
            for (int q : byIndex) {
                int i = trajs[q];
                for (int r = t.rowStart[i]; r < t.rowStart[i + 1]; r++) {
                    int kk = Arrays.binarySearch(allTurns, t.turn[r]);
                    rowCell[x++] = kk;
                    cellStart[kk + 1]++;
                }
            }
            for (int kk = 0; kk < kCount; kk++) cellStart[kk + 1] += cellStart[kk];
            int[] fill = Arrays.copyOf(cellStart, kCount);
            int[] cellRowAll = new int[maxRows];
            int[] cellLocalAll = new int[maxRows];
            x = 0;
            for (int q : byIndex) {
                int i = trajs[q];
                for (int r = t.rowStart[i]; r < t.rowStart[i + 1]; r++) {
                    int at = fill[rowCell[x++]]++;
                    cellRowAll[at] = r;
                    cellLocalAll[at] = q;
                }
            }
            // per pair of trajectories: shared leading turn indices, and leading positions with H = 0
            int[] sharedTurns = new int[m * m];
            int[] zeroHamming = new int[m * m];
            pairPrefixes(sharedTurns, zeroHamming, gCount);
            cellPos = new int[maxRows];
            parent = new int[maxRows];
            actionParent = new int[maxRows];
            stateRoot = new int[maxRows];
            actionRoot = new int[maxRows];
            stateSize = new int[maxRows];
            stateActions = new int[maxRows];
            actionSize = new int[maxRows];
            stateSum = new double[maxRows];
            actionSum = new double[maxRows];
            for (int kk = 0; kk < kCount; kk++) {
                int from = cellStart[kk];
                int c = cellStart[kk + 1] - from;
                treeCell(cellRowAll, cellLocalAll, from, c, sharedTurns, zeroHamming, gain, support);
            }
        }

        // per-cell scratch of the tree, sized for the group's rows
        private int[] cellPos;
        private int[] parent;
        private int[] actionParent;
        private int[] stateRoot;
        private int[] actionRoot;
        private int[] stateSize;
        private int[] stateActions;
        private int[] actionSize;
        private double[] stateSum;
        private double[] actionSum;

        /**
         * Per pair of the group's trajectories: how many leading turn indices they share, and how many
         * leading turn positions have a zero Hamming distance.
         */
        private void pairPrefixes(int[] sharedTurns, int[] zeroHamming, int gCount) {
            int m = trajs.length;
            for (int qa = 0; qa < m; qa++) {
                int[] ta = t.turns[trajs[qa]];
                for (int qb = qa; qb < m; qb++) {
                    int[] tb = t.turns[trajs[qb]];
                    int len = Math.min(ta.length, tb.length);
                    int l = 0;
                    while (l < len && ta[l] == tb[l]) l++;
                    int z = 0;
                    while (z < l && hammingAt(labels[qa], z, labels[qb], z, gCount) == 0.0) z++;
                    sharedTurns[qa * m + qb] = l;
                    sharedTurns[qb * m + qa] = l;
                    zeroHamming[qa * m + qb] = z;
                    zeroHamming[qb * m + qa] = z;
                }
            }
        }

        /**
         * The state and action buckets of one cell ({@code c} rows of one turn index, from {@code from}
         * in {@code cellRowAll}/{@code cellLocalAll}) and the gains and supports of its rows.
         */
        private void treeCell(
                int[] cellRowAll,
                int[] cellLocalAll,
                int from,
                int c,
                int[] sharedTurns,
                int[] zeroHamming,
                double[] gain,
                double[] support) {
            int gCount = cfg.scopes.length;
            int[] cell = Arrays.copyOfRange(cellRowAll, from, from + c);
            int[] cellLocal = Arrays.copyOfRange(cellLocalAll, from, from + c);
            for (int a = 0; a < c; a++) cellPos[a] = t.rowPos[cell[a]];
            for (int a = 0; a < c; a++) parent[a] = a;
            for (int a = 0; a < c; a++) {
                for (int b = a + 1; b < c; b++) {
                    if (sameState(cellLocal[a], cellLocal[b], cellPos[a], cellPos[b], sharedTurns, zeroHamming))
                        union(parent, a, b);
                }
            }
            for (int a = 0; a < c; a++) actionParent[a] = a;
            for (int a = 0; a < c; a++) {
                int sa = find(parent, a);
                for (int b = a + 1; b < c; b++) {
                    if (find(parent, b) != sa) continue;
                    if (hammingAt(labels[cellLocal[a]], cellPos[a], labels[cellLocal[b]], cellPos[b], gCount)
                            <= cfg.tau) union(actionParent, a, b);
                }
            }
            // per state bucket: size, reward sum, number of action buckets; per action bucket: size, reward sum
            Arrays.fill(stateSize, 0, c, 0);
            Arrays.fill(stateSum, 0, c, 0.0);
            Arrays.fill(stateActions, 0, c, 0);
            Arrays.fill(actionSize, 0, c, 0);
            Arrays.fill(actionSum, 0, c, 0.0);
            for (int a = 0; a < c; a++) {
                int sr = find(parent, a);
                int ar = find(actionParent, a);
                stateRoot[a] = sr;
                actionRoot[a] = ar;
                double r = t.reward[cell[a]];
                stateSize[sr]++;
                stateSum[sr] += r;
                if (ar == a) stateActions[sr]++;
                actionSize[ar]++;
                actionSum[ar] += r;
            }
            for (int a = 0; a < c; a++) {
                int sr = stateRoot[a];
                if (stateSize[sr] <= 1 || stateActions[sr] <= 1) continue;
                int ar = actionRoot[a];
                int na = actionSize[ar];
                double shrink = na / (na + cfg.prior + cfg.epsilon);
                gain[cell[a]] = shrink * (actionSum[ar] / na - stateSum[sr] / stateSize[sr]);
                support[cell[a]] = shrink;
            }
        }

        /** Sorts local trajectory indices by the trajectories' batch indices (insertion sort: groups are small). */
        private void sortLocalByTrajectory(int[] local) {
            for (int q = 1; q < local.length; q++) {
                int x = local[q];
                int p = q - 1;
                while (p >= 0 && trajs[local[p]] > trajs[x]) {
                    local[p + 1] = local[p];
                    p--;
                }
                local[p + 1] = x;
            }
        }

        /**
         * Whether the turns at positions {@code pa} and {@code pb} of local trajectories {@code qa} and
         * {@code qb} (the same turn index) are in one state: the same earlier turn indices and
         * {@code Σ_q tw_q·H_q ≤ τ} over them.
         */
        private boolean sameState(int qa, int qb, int pa, int pb, int[] sharedTurns, int[] zeroHamming) {
            if (pa != pb) return false; // different numbers of earlier turns
            if (pa == 0) return true;
            int m = trajs.length;
            if (sharedTurns[qa * m + qb] < pa) return false; // different earlier turn indices
            // every term zero: the sum is exactly 0.0 (finite non-negative weights times +0.0)
            if (zeroSumsExact && zeroHamming[qa * m + qb] >= pa) return 0.0 <= cfg.tau;
            double[] tw = timeWeights[pa];
            int[] la = labels[qa];
            int[] lb = labels[qb];
            int gCount = cfg.scopes.length;
            double acc = 0.0;
            for (int q = 0; q < pa; q++) acc += tw[q] * hammingAt(la, q, lb, q, gCount);
            return acc <= cfg.tau;
        }

        private double hammingAt(int[] la, int pa, int[] lb, int pb, int gCount) {
            double acc = 0.0;
            for (int si = 0; si < gCount; si++)
                acc += cfg.hammingWeights[si] * (la[pa * gCount + si] != lb[pb * gCount + si] ? 1.0 : 0.0);
            return acc;
        }
    }

    private static int find(int[] parent, int x) {
        while (parent[x] != x) {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        return x;
    }

    private static void union(int[] parent, int a, int b) {
        int ra = find(parent, a);
        int rb = find(parent, b);
        if (ra != rb) parent[rb] = ra;
    }

    /** Indices of {@code key} in ascending order, ties in index order (a stable merge sort). */
    static int[] stableOrder(double[] key) {
        return stableOrder(key, key.length, new int[key.length], new int[key.length]);
    }

    /**
     * {@link #stableOrder(double[])} of {@code key[0, n)} in caller scratch: returns whichever of {@code a} and
     * {@code b} (each at least {@code n} long) holds the order in {@code [0, n)}.
     */
    static int[] stableOrder(double[] key, int n, int[] a, int[] b) {
        for (int i = 0; i < n; i++) a[i] = i;
        if (n <= 64) { // small: a stable insertion sort (a stable order is unique, so the same result)
            for (int i = 1; i < n; i++) {
                int x = a[i];
                double kx = key[x];
                int j = i - 1;
                while (j >= 0 && kx < key[a[j]]) {
                    a[j + 1] = a[j];
                    j--;
                }
                a[j + 1] = x;
            }
            return a;
        }
        for (int width = 1; width < n; width *= 2) {
            for (int lo = 0; lo < n; lo += 2 * width) {
                int mid = Math.min(lo + width, n);
                int hi = Math.min(lo + 2 * width, n);
                int i = lo;
                int j = mid;
                int o = lo;
                while (i < mid && j < hi) b[o++] = key[a[j]] < key[a[i]] ? a[j++] : a[i++];
                while (i < mid) b[o++] = a[i++];
                while (j < hi) b[o++] = a[j++];
            }
            int[] x = a;
            a = b;
            b = x;
        }
        return a;
    }
}

package dev.apportion.bench.task;

import dev.apportion.bench.mdp.Dynamics;
import dev.apportion.bench.mdp.Mdp;
import dev.apportion.bench.mdp.MdpBuilder;
import dev.apportion.core.credit.ParamSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A multi-turn tool-use task with a ground-truth tool trace.
 * <ul>
 *   <li>The instance has a hidden trace of {@code trace_length} tool calls over {@code tools}
 *       tools. Each turn the agent calls a tool, answers, or (when {@code restate_action}) restates
 *       its progress.</li>
 *   <li>Calling the next tool of the trace advances progress, except that the call fails with
 *       probability {@code tool_failure} (progress unchanged, error observed: retry). Any other
 *       tool returns an error. Restating changes nothing. Answering ends the episode: outcome 1
 *       when the whole trace was completed, else 0. After {@code max_turns} turns without an
 *       answer the episode ends with 0.</li>
 *   <li>The observation is (progress, last tool result), without the turn, so the same anchor
 *       state recurs across the trajectories of a group and inside one trajectory (retries).</li>
 *   <li>Verifier: the span signal {@code verifier} is 1 when the call is the ground-truth next
 *       call (or a complete answer), else 0 — an intermediate step a checker can verify.
 *       {@code verifier_reward} &gt; 0 also pays it as a dense step reward (VPR-style).</li>
 *   <li>The PRM's exploitable feature is the restate action: it never helps (it spends a turn)
 *       but the PRM adds {@code prm_bias} (default 0.3 here) to it, on every repetition.</li>
 *   <li>Multi-token steps: {@code tokens_per_turn} T &gt; 1 makes every turn's policy span T
 *       tokens — the action token, then T − 1 argument tokens with a single choice (they carry
 *       no decision, like the arguments a tool call spells out). The turn's effect and step
 *       reward come with the action token; the verifier verdict covers the whole turn.</li>
 * </ul>
 * Modelled on the agentic benchmarks of the survey (HotpotQA / search QA tool agents;
 * benchmarks-and-survey.md §1.5) and on the signals of GiGPO (anchor states), MatchTIR (tool
 * trace), VPR (verifiable steps), IGPO (information gain) and PBSD (privileged teacher).
 */
public final class Agentic extends FamilyBase {
    private static final String[] TOOL_NAMES = {"search", "open", "lookup", "calc", "translate", "sql", "email", "code"
    };
    private static final String[] LAST = {"start", "ok", "error", "restated"};

    private static final List<ParamSpec> KNOBS = SignalModel.with(
            List.of(
                    ParamSpec.integer("trace_length", 2, 1, 16, "Ground-truth tool calls needed before answering."),
                    ParamSpec.integer("tools", 3, 2, 8, "Number of tools."),
                    ParamSpec.integer("max_turns", 6, 2, 64, "Turn budget (the episode fails when it runs out)."),
                    ParamSpec.real(
                            "tool_failure",
                            0.1,
                            0.0,
                            0.99,
                            "Probability that a correct call fails (transition noise)."),
                    ParamSpec.bool("restate_action", true, "Offer the restate action the PRM is biased towards."),
                    ParamSpec.real(
                            "verifier_reward",
                            0.0,
                            0.0,
                            10.0,
                            "Dense step reward paid for a verified step (0 = outcome only)."),
                    ParamSpec.integer(
                            "tokens_per_turn",
                            1,
                            1,
                            32,
                            "Policy tokens per turn: the action token, then tokens_per_turn - 1 argument tokens without a choice.")),
            ParamSpec.real(
                    "prm_bias", 0.3, -100.0, 100.0, "Bonus the PRM gives the restate action (it does not help)."));

    public Agentic() {
        super(
                "agentic",
                "Multi-turn tool use: follow a hidden tool trace, then answer; anchor states, verifier, gameable PRM",
                "apportion (constructed for the survey's agentic task family T3, arXiv 2604.09459; signals after GiGPO 2505.10978, "
                        + "MatchTIR 2601.10712, VPR 2605.10325, IGPO 2510.14967)",
                KNOBS);
    }

    @Override
    public Task create(Knobs k, SplittableRandom rng) {
        int m = k.getInt("trace_length");
        int tools = k.getInt("tools");
        int h = k.getInt("max_turns");
        if (h < m + 1) throw k.invalid("max_turns", "(" + h + ") must be >= trace_length + 1 (" + (m + 1) + ")");
        int[] trace = new int[m];
        List<String> names = new ArrayList<>();
        for (int i = 0; i < m; i++) {
            trace[i] = rng.nextInt(tools);
            names.add(TOOL_NAMES[trace[i]]);
        }
        Rules r = new Rules(
                trace,
                tools,
                h,
                k.getDouble("tool_failure"),
                k.getBoolean("restate_action"),
                k.getDouble("verifier_reward"),
                k.getInt("tokens_per_turn"));
        Mdp mdp = MdpBuilder.build(r);
        SignalModel sig = SignalModel.of(k);
        Metadata md = Metadata.of(mdp, sig)
                .reward(
                        r.verifierReward > 0 ? "terminal outcome + a dense verifiable step reward" : "terminal only",
                        "outcome when the agent answers (or the budget runs out)",
                        "none")
                .put(
                        "observability",
                        "partial: (progress, last tool result) without the turn; anchor states repeat across and within trajectories")
                .put(
                        "verifier",
                        "exact step verifier: 1 iff the call is the next ground-truth call (span signal 'verifier')")
                .put("tool_trace", names)
                .agents(1, true)
                .decisive(
                        m + 1,
                        List.of(),
                        "each ground-truth call (any turn) and the final answer; the order is fixed, the turn is not")
                .distractors("none", 0, 0);
        Map<String, Object> inst = new LinkedHashMap<>();
        inst.put("tool_trace", names);
        return new Task(id(), k, mdp, sig, md.build(), inst);
    }

    /**
     * Latent state: turn, progress along the trace, last result, answered; token {@code j} of the
     * turn and, on argument tokens ({@code j > 0}), the verifier's verdict on the turn's action.
     */
    record State(int t, int p, int last, boolean answered, int j, boolean verified) {
        State(int t, int p, int last, boolean answered) {
            this(t, p, last, answered, 0, false);
        }
    }

    private static final class Rules implements Dynamics<State> {
        final int[] trace;
        final int tools;
        final int h;
        final double fail;
        final boolean restate;
        final double verifierReward;
        final String[] names;
        final int tpt;

        Rules(int[] trace, int tools, int h, double fail, boolean restate, double verifierReward, int tpt) {
            this.tpt = tpt;
            this.trace = trace;
            this.tools = tools;
            this.h = h;
            this.fail = fail;
            this.restate = restate;
            this.verifierReward = verifierReward;
            List<String> n = new ArrayList<>();
            for (int i = 0; i < tools; i++) n.add("call:" + TOOL_NAMES[i]);
            n.add("answer");
            if (restate) n.add("restate");
            this.names = n.toArray(new String[0]);
        }

        int answer() {
            return tools;
        }

        @Override
        public int tokensPerTurn() {
            return tpt;
        }

        @Override
        public int tokenInTurn(State s) {
            return s.j;
        }

        @Override
        public String[] actionNames() {
            return names;
        }

        @Override
        public void starts(StartSink<State> sink) {
            sink.add(new State(0, 0, 0, false), 1);
        }

        @Override
        public boolean terminal(State s) {
            return s.j == 0 && (s.answered || s.t == h);
        }

        @Override
        public double outcome(State s) {
            return success(s) ? 1 : 0;
        }

        @Override
        public boolean success(State s) {
            return s.answered && s.p == trace.length;
        }

        @Override
        public int turn(State s) {
            return s.t;
        }

        @Override
        public String observation(State s) {
            return "p" + s.p + ":" + LAST[s.last];
        }

        @Override
        public int actionCount(State s) {
            return s.j == 0 ? names.length : 1;
        }

        @Override
        public double verifier(State s, int a) {
            if (s.j > 0) return s.verified ? 1 : 0;
            if (a < tools) return s.p < trace.length && a == trace[s.p] ? 1 : 0;
            if (a == answer()) return s.p == trace.length ? 1 : 0;
            return 0;
        }

        @Override
        public boolean prmBiased(State s, int a) {
            return s.j == 0 && restate && a == tools + 1;
        }

        @Override
        public void transitions(State s, int a, TransitionSink<State> sink) {
            if (s.j > 0) { // an argument token: no choice, no effect
                sink.add(1, s.j + 1 < tpt ? new State(s.t, s.p, s.last, s.answered, s.j + 1, s.verified) : end(s), 0);
                return;
            }
            boolean v = verifier(s, a) > 0;
            double r = verifierReward * (v ? 1 : 0);
            if (a < tools) {
                if (s.p < trace.length && a == trace[s.p]) {
                    if (fail < 1) sink.add(1 - fail, after(s, s.p + 1, 1, false, v), r);
                    if (fail > 0) sink.add(fail, after(s, s.p, 2, false, v), r);
                } else {
                    sink.add(1, after(s, s.p, 2, false, v), r);
                }
            } else if (a == answer()) {
                sink.add(1, after(s, s.p, s.last, true, v), r);
            } else {
                sink.add(1, after(s, s.p, 3, false, v), r);
            }
        }

        /** The state after the action token of turn {@code s.t}: the next turn, or its first argument token. */
        private State after(State s, int p, int last, boolean answered, boolean verified) {
            return tpt == 1 ? new State(s.t + 1, p, last, answered) : new State(s.t, p, last, answered, 1, verified);
        }

        /** The first token of the next turn, after the last argument token. */
        private static State end(State s) {
            return new State(s.t + 1, s.p, s.last, s.answered);
        }
    }
}

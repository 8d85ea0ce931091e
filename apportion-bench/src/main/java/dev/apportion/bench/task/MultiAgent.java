package dev.apportion.bench.task;

import dev.apportion.bench.mdp.Mdp;
import dev.apportion.bench.mdp.MdpBuilder;
import dev.apportion.bench.mdp.OneDecisionPerTurn;
import dev.apportion.bench.mdp.RewardNoise;
import dev.apportion.core.credit.ParamSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Two to four agents acting in turns (round robin, {@code rounds} rounds) on one shared
 * outcome reward.
 * <ul>
 *   <li>The leader (agent 0) picks one of {@code symbols} symbols on its first turn; one symbol
 *       (drawn per instance) is good.</li>
 *   <li>Each follower must pick the leader's symbol on its turn of the last round. The shared
 *       outcome is 1 iff the leader's symbol is good and every follower matched it, else 0.</li>
 *   <li>With {@code observe_leader} the followers see the leader's symbol; without it they must
 *       coordinate by convention (partial observability).</li>
 *   <li>All other turns are irrelevant chatter and pay N(0, {@code distractor_noise}²).</li>
 * </ul>
 * Exact per-agent counterfactual credit: on each agent's turn the true advantage
 * {@code Q(s, a) − Σ_b π(b|s) Q(s, b)} holds every other agent's policy fixed (COMA's
 * counterfactual baseline, exact because the MDP is solved). Interaction effect: a follower's
 * match only matters when the leader chose well.
 */
public final class MultiAgent extends FamilyBase {
    private static final List<ParamSpec> KNOBS = SignalModel.with(List.of(
            ParamSpec.integer("agents", 2, 2, 4, "Number of agents."),
            ParamSpec.integer("rounds", 3, 1, 32, "Rounds; each agent acts once per round."),
            ParamSpec.integer("symbols", 3, 2, 8, "Actions per turn."),
            ParamSpec.bool("observe_leader", true, "Followers observe the leader's symbol."),
            ParamSpec.real(
                    "distractor_noise", 0.0, 0.0, 100.0, "Std of the zero-mean step reward on irrelevant turns.")));

    public MultiAgent() {
        super(
                "multi_agent",
                "Multi-agent relay: the leader picks, the followers must match later; one shared outcome",
                "apportion (constructed for the survey's multi-agent family T7, arXiv 2604.09459; counterfactual credit as in COMA)",
                KNOBS);
    }

    @Override
    public Task create(Knobs k, SplittableRandom rng) {
        int n = k.getInt("agents");
        int rounds = k.getInt("rounds");
        int sym = k.getInt("symbols");
        int good = rng.nextInt(sym);
        Rules r = new Rules(n, rounds, sym, good, k.getBoolean("observe_leader"), k.getDouble("distractor_noise"));
        Mdp mdp = MdpBuilder.build(r);
        SignalModel sig = SignalModel.of(k);
        List<Integer> dec = new ArrayList<>();
        dec.add(0);
        for (int i = 1; i < n; i++) dec.add(r.followerTurn(i));
        double sd = r.noise;
        Metadata md = Metadata.of(mdp, sig)
                .reward(
                        sd > 0 ? "terminal shared outcome + zero-mean chatter rewards" : "terminal only (shared)",
                        "outcome after the last round",
                        sd > 0 ? "chatter N(0, " + sd + "^2)" : "none")
                .put("observability", r.observe ? "full" : "partial: followers do not see the leader's symbol")
                .put("verifier", "none")
                .agents(n, true)
                .decisive(n, dec, "leader picks the good symbol on turn 0; each follower matches it in the last round")
                .distractors("every non-decisive turn", sd * Math.sqrt(2 / Math.PI), sd * sd);
        Map<String, Object> inst = new LinkedHashMap<>();
        inst.put("good_symbol", good);
        inst.put("decisive_turns", dec);
        return new Task(id(), k, mdp, sig, md.build(), inst);
    }

    /** Latent state: turn, the leader's symbol (−1 before it acts), whether success is still possible. */
    record State(int t, int lead, boolean ok) {}

    private static final class Rules implements OneDecisionPerTurn<State> {
        final int n;
        final int rounds;
        final int sym;
        final int good;
        final boolean observe;
        final double noise;
        final String[] names;

        Rules(int n, int rounds, int sym, int good, boolean observe, double noise) {
            this.n = n;
            this.rounds = rounds;
            this.sym = sym;
            this.good = good;
            this.observe = observe;
            this.noise = noise;
            this.names = new String[sym];
            for (int a = 0; a < sym; a++) names[a] = "sym" + a;
        }

        int followerTurn(int i) {
            return (rounds - 1) * n + i;
        }

        boolean decisiveTurn(int t) {
            return t == 0 || (t >= (rounds - 1) * n && t % n != 0);
        }

        @Override
        public String[] actionNames() {
            return names;
        }

        @Override
        public void starts(StartSink<State> sink) {
            sink.add(new State(0, -1, true), 1);
        }

        @Override
        public boolean terminal(State s) {
            return s.t == n * rounds;
        }

        @Override
        public double outcome(State s) {
            return s.ok ? 1 : 0;
        }

        @Override
        public boolean success(State s) {
            return s.ok;
        }

        @Override
        public int turn(State s) {
            return s.t;
        }

        @Override
        public String observation(State s) {
            int agent = s.t % n;
            String o = "r" + (s.t / n) + ":agent" + agent;
            return observe && agent != 0 && s.lead >= 0 ? o + ":lead" + s.lead : o;
        }

        @Override
        public String agent(State s) {
            return "agent" + (s.t % n);
        }

        @Override
        public int actionCount(State s) {
            return sym;
        }

        @Override
        public void transitions(State s, int a, TransitionSink<State> sink) {
            int t = s.t + 1;
            if (s.t == 0) {
                sink.add(1, new State(t, a, a == good), 0);
            } else if (decisiveTurn(s.t)) {
                sink.add(1, new State(t, s.lead, s.ok && a == s.lead), 0);
            } else if (noise > 0) {
                sink.add(1, new State(t, s.lead, s.ok), 0, RewardNoise.GAUSSIAN, noise);
            } else {
                sink.add(1, new State(t, s.lead, s.ok), 0);
            }
        }
    }
}

package dev.apportion.bench.task;

import dev.apportion.bench.mdp.Mdp;
import dev.apportion.bench.mdp.MdpBuilder;
import dev.apportion.bench.mdp.OneDecisionPerTurn;
import dev.apportion.bench.mdp.RewardNoise;
import dev.apportion.core.credit.ParamSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * bsuite's UmbrellaChain (experiments {@code umbrella_length} and {@code umbrella_distract}),
 * same dynamics as {@code bsuite/environments/umbrella_chain.py} (deepmind/bsuite @ b4c9fed):
 * <ul>
 *   <li>At reset {@code need_umbrella} and {@code has_umbrella} are fair coins.</li>
 *   <li>Two actions; only the first matters: after the first step {@code has_umbrella} equals it.</li>
 *   <li>Every step before the last pays ±1 with equal probability (independent of everything).</li>
 *   <li>After {@code chain_length} steps the episode ends with +1 when
 *       {@code has_umbrella == need_umbrella}, else −1 (regret 2).</li>
 *   <li>The observation is (need, has, time to live) plus {@code n_distractor} fresh fair bits
 *       every step.</li>
 * </ul>
 * Tabular-policy convention: the policy conditions on (need, has, time); the distractor bits
 * are appended to the observation key (the span's anchor state) and so reach the estimators,
 * but a tabular policy keyed on 2^n distractor patterns could not learn at all, so they are not
 * part of its row. Success = outcome +1. bsuite score: fraction of sweep settings whose average
 * regret over training is below 0.5 (bsuite's {@code REGRET_THRESH}).
 */
public final class Umbrella extends FamilyBase {
    private static final List<ParamSpec> KNOBS = SignalModel.with(List.of(
            ParamSpec.integer("chain_length", 20, 1, 1000, "Steps per episode (bsuite chain_length)."),
            ParamSpec.integer(
                    "n_distractor", 20, 0, 1000, "Fresh random observation bits per step (bsuite n_distractor).")));

    /** bsuite's umbrella sweep values ({@code _log_spaced}: 1..10, 12, 14, 17, 20, 25, 30, 40, …, 100). */
    public static final List<Integer> BSUITE_SWEEP =
            List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 17, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100);

    public Umbrella() {
        super(
                "umbrella",
                "bsuite umbrella chain: the first action decides a ±1 outcome after chain_length noisy steps",
                "Osband et al., ICLR 2020 (bsuite); deepmind/bsuite@b4c9fed bsuite/environments/umbrella_chain.py",
                KNOBS);
    }

    @Override
    public Task create(Knobs k, SplittableRandom rng) {
        int len = k.getInt("chain_length");
        int nd = k.getInt("n_distractor");
        Rules r = new Rules(len, nd);
        Mdp mdp = MdpBuilder.build(r);
        SignalModel sig = SignalModel.of(k);
        Metadata md = Metadata.of(mdp, sig)
                .reward(
                        len > 1 ? "terminal ±1 outcome + a ±1 coin-flip reward on every earlier step" : "terminal only",
                        "outcome after step chain_length",
                        "intermediate rewards ±1 with equal probability (variance 1)")
                .put(
                        "observability",
                        "full latent state (need, has, time) plus " + nd + " fresh random distractor bits per step")
                .put("verifier", "none")
                .agents(1, true)
                .decisive(1, List.of(0), "the first action sets has_umbrella; +1 iff it equals need_umbrella")
                .distractors("every step before the last", len > 1 ? 1 : 0, len > 1 ? 1 : 0);
        Map<String, Object> inst = new LinkedHashMap<>();
        inst.put("chain_length", len);
        inst.put("n_distractor", nd);
        return new Task(id(), k, mdp, sig, md.build(), inst);
    }

    /** Latent state: time step, need, has. */
    record State(int t, int need, int has) {}

    private static final class Rules implements OneDecisionPerTurn<State> {
        final int len;
        final int nd;

        Rules(int len, int nd) {
            this.len = len;
            this.nd = nd;
        }

        @Override
        public String[] actionNames() {
            return new String[] {"leave", "take"};
        }

        @Override
        public void starts(StartSink<State> sink) {
            for (int need = 0; need < 2; need++) {
                for (int has = 0; has < 2; has++) sink.add(new State(0, need, has), 0.25);
            }
        }

        @Override
        public boolean terminal(State s) {
            return s.t == len;
        }

        @Override
        public double outcome(State s) {
            return s.has == s.need ? 1 : -1;
        }

        @Override
        public boolean success(State s) {
            return s.has == s.need;
        }

        @Override
        public int turn(State s) {
            return s.t;
        }

        @Override
        public String observation(State s) {
            return "n" + s.need + "h" + s.has + "l" + (len - s.t);
        }

        @Override
        public int distractorBits(State s) {
            return nd;
        }

        @Override
        public int actionCount(State s) {
            return 2;
        }

        @Override
        public void transitions(State s, int a, TransitionSink<State> sink) {
            int t = s.t + 1;
            int has = s.t == 0 ? a : s.has;
            State n = new State(t, s.need, has);
            if (t == len) sink.add(1.0, n, 0);
            else sink.add(1.0, n, 0, RewardNoise.RADEMACHER, 1.0);
        }
    }
}

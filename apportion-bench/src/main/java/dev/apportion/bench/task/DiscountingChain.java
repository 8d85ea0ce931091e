package dev.apportion.bench.task;

import dev.apportion.bench.mdp.Mdp;
import dev.apportion.bench.mdp.MdpBuilder;
import dev.apportion.bench.mdp.OneDecisionPerTurn;
import dev.apportion.core.credit.ParamSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * bsuite's DiscountingChain, same dynamics as {@code bsuite/environments/discounting_chain.py}
 * (deepmind/bsuite @ b4c9fed):
 * <ul>
 *   <li>Five actions; episode length 100. The first action picks chain c; later actions do nothing.</li>
 *   <li>Chain c pays its reward once, at time step {@code [1, 3, 10, 30, 100][c]}; every chain pays
 *       1.0 except chain {@code mapping_seed mod 5}, which pays 1.1.</li>
 *   <li>Observation: (context, t/100), context −1 before the first action, then c.</li>
 * </ul>
 * A reward paid on the final step is the terminal outcome; earlier ones are step rewards.
 * Success = the bonus chain was chosen. bsuite score: {@code clip(1 − 10·(1.1 − average return), 0, 1)}.
 */
public final class DiscountingChain extends FamilyBase {
    private static final int[] REWARD_STEP = {1, 3, 10, 30, 100};
    private static final int LEN = 100;
    private static final List<ParamSpec> KNOBS = SignalModel.with(List.of(ParamSpec.integer(
            "mapping_seed", 0, 0, 1_000_000, "bsuite mapping_seed: chain (mapping_seed mod 5) pays 1.1.")));

    public DiscountingChain() {
        super(
                "discounting_chain",
                "bsuite discounting chain: the first action picks a chain paying at t = 1, 3, 10, 30 or 100",
                "Osband et al., ICLR 2020 (bsuite); deepmind/bsuite@b4c9fed bsuite/environments/discounting_chain.py",
                KNOBS);
    }

    @Override
    public Task create(Knobs k, SplittableRandom rng) {
        int bonus = k.getInt("mapping_seed") % REWARD_STEP.length;
        Rules r = new Rules(bonus);
        Mdp mdp = MdpBuilder.build(r);
        SignalModel sig = SignalModel.of(k);
        Metadata md = Metadata.of(mdp, sig)
                .reward(
                        "one reward per episode, at the chosen chain's time step",
                        "t = [1, 3, 10, 30, 100][chain]; bonus chain " + bonus + " pays at t = " + REWARD_STEP[bonus],
                        "none")
                .put("observability", "full (context, t/100)")
                .put("verifier", "none")
                .agents(1, true)
                .decisive(
                        1,
                        List.of(0),
                        "the first action picks the chain; the bonus chain (1.1 instead of 1.0) is a success")
                .distractors("none", 0, 0)
                .put("optimal_horizon", REWARD_STEP[bonus]);
        Map<String, Object> inst = new LinkedHashMap<>();
        inst.put("bonus_chain", bonus);
        inst.put("bonus_reward_step", REWARD_STEP[bonus]);
        return new Task(id(), k, mdp, sig, md.build(), inst);
    }

    /** Latent state: time step, context (−1 before the first action). */
    record State(int t, int context) {}

    private static final class Rules implements OneDecisionPerTurn<State> {
        final double[] rewards = {1, 1, 1, 1, 1};

        Rules(int bonus) {
            rewards[bonus] += 0.1;
        }

        @Override
        public String[] actionNames() {
            return new String[] {"c0", "c1", "c2", "c3", "c4"};
        }

        @Override
        public void starts(StartSink<State> sink) {
            sink.add(new State(0, -1), 1);
        }

        @Override
        public boolean terminal(State s) {
            return s.t == LEN;
        }

        @Override
        public double outcome(State s) {
            return REWARD_STEP[s.context] == LEN ? rewards[s.context] : 0;
        }

        @Override
        public boolean success(State s) {
            return rewards[s.context] > 1;
        }

        @Override
        public int turn(State s) {
            return s.t;
        }

        @Override
        public String observation(State s) {
            return "c" + s.context + "t" + s.t;
        }

        @Override
        public int actionCount(State s) {
            return 5;
        }

        @Override
        public void transitions(State s, int a, TransitionSink<State> sink) {
            int c = s.t == 0 ? a : s.context;
            int t = s.t + 1;
            double r = t == REWARD_STEP[c] && t < LEN ? rewards[c] : 0;
            sink.add(1.0, new State(t, c), r);
        }
    }
}

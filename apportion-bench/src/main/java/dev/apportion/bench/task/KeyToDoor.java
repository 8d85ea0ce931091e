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
 * Key-to-door as COCOA's linear "ConveyorTreasure" (seijin-kobayashi/cocoa,
 * {@code ccoa/envs/treasure_conveyor.py}, config {@code configs/canonical_conveyorlength_performance.py}):
 * a decisive early action, a long distractor phase with noisy rewards, a delayed payoff.
 * <ul>
 *   <li>A conveyor of {@code length} L cells moves the agent one cell per step; the episode
 *       lasts L steps. Four actions: pick key, pick left apple, pick right apple, open door.</li>
 *   <li>Cell 0 holds the key; cells 1 … L−3 hold a left or a right apple with probability
 *       {@code distractor_prob} (half each), else nothing; cell L−2 is the door.</li>
 *   <li>Picking the apple on the matching side pays one of {@code distractor_rewards} (uniformly
 *       at random, drawn at every pick). Opening the door while holding the key places the
 *       treasure in cell L−1, which pays {@code treasure_reward} on the last step (the outcome).</li>
 *   <li>With {@code scale_with_length} both rewards are multiplied by 23/L, as in COCOA.</li>
 *   <li>{@code random_distractors} false (COCOA's default): the apple layout is fixed per task
 *       instance (drawn from the instance seed; COCOA draws it from numpy seed 2022, which this
 *       Java port cannot reproduce); true: redrawn every episode.</li>
 * </ul>
 * Observation: position and content of the current cell (COCOA's relative position and cell
 * one-hot); whether the key is held (COCOA's key counter) is shown at the key and at the door
 * only. Deviation: COCOA shows the key counter everywhere, but its network shares apple-picking
 * skill between the two branches; a tabular policy cannot, and with the counter visible the
 * key branch's apple rows fall behind, so the true advantage of the key turns negative and even
 * exact credit unlearns the key. Success = treasure collected. The exact
 * MDP is small (L × 2 × 2 × 6 states), so ground truth is computed, not sampled (as COCOA does).
 */
public final class KeyToDoor extends FamilyBase {
    static final int EMPTY = 0;
    static final int APPLE_LEFT = 1;
    static final int APPLE_RIGHT = 2;
    static final int DOOR = 3;
    static final int KEY = 4;
    static final int TREASURE = 5;
    private static final String[] CELL = {"empty", "apple_left", "apple_right", "door", "key", "treasure"};

    private static final List<ParamSpec> KNOBS = SignalModel.with(List.of(
            ParamSpec.integer("length", 23, 4, 1000, "Conveyor length L (COCOA sweeps 23, 43, 63, 83, 103)."),
            ParamSpec.real("distractor_prob", 0.8, 0.0, 1.0, "Probability that a middle cell holds an apple."),
            ParamSpec.realList(
                    "distractor_rewards",
                    List.of(0.1, 0.9),
                    "Apple rewards, one drawn uniformly per pick (1 or 2 values)."),
            ParamSpec.real("treasure_reward", 0.2, 0.0, 1000.0, "Treasure reward (the outcome)."),
            ParamSpec.bool("scale_with_length", true, "Multiply both rewards by 23/L, as COCOA does."),
            ParamSpec.bool(
                    "random_distractors",
                    false,
                    "Redraw the apple layout every episode instead of once per instance.")));

    public KeyToDoor() {
        super(
                "key_to_door",
                "Key-to-door (COCOA linear conveyor): pick the key, ignore the apples, open the door",
                "Meulemans et al., NeurIPS 2023 (COCOA); seijin-kobayashi/cocoa ccoa/envs/treasure_conveyor.py; "
                        + "task family of Mesnard et al. arXiv 2011.09464 and Hung et al. arXiv 1810.06721 (TVT)",
                KNOBS);
    }

    @Override
    public Task create(Knobs k, SplittableRandom rng) {
        int len = k.getInt("length");
        double scale = k.getBoolean("scale_with_length") ? 23.0 / len : 1.0;
        double[] dr = k.getDoubleList("distractor_rewards");
        if (dr.length < 1 || dr.length > 2) {
            throw k.invalid("distractor_rewards", "must hold 1 or 2 values, got " + dr.length);
        }
        double appleMean = scale * (dr.length == 1 ? dr[0] : (dr[0] + dr[1]) / 2);
        double appleHalf = scale * (dr.length == 1 ? 0 : Math.abs(dr[1] - dr[0]) / 2);
        double treasure = scale * k.getDouble("treasure_reward");
        double prob = k.getDouble("distractor_prob");
        boolean random = k.getBoolean("random_distractors");
        int[] layout = new int[len];
        layout[0] = KEY;
        for (int p = 1; p <= len - 3; p++) {
            double u = rng.nextDouble();
            layout[p] = u < prob / 2 ? APPLE_LEFT : u < prob ? APPLE_RIGHT : EMPTY;
        }
        layout[len - 2] = DOOR;
        layout[len - 1] = EMPTY;
        Rules r = new Rules(len, layout, random, prob, appleMean, appleHalf, treasure);
        Mdp mdp = MdpBuilder.build(r);
        SignalModel sig = SignalModel.of(k);
        int apples = 0;
        List<String> cells = new ArrayList<>();
        for (int p = 0; p < len; p++) {
            if (layout[p] == APPLE_LEFT || layout[p] == APPLE_RIGHT) apples++;
            cells.add(CELL[layout[p]]);
        }
        Metadata md = Metadata.of(mdp, sig)
                .reward(
                        "terminal treasure + apple rewards during the distractor phase",
                        "treasure on the last step (delay " + (len - 1) + " steps after the key)",
                        dr.length == 2
                                ? "each apple pays " + dr[0] * scale + " or " + dr[1] * scale
                                        + " with equal probability"
                                : "deterministic apple reward")
                .put(
                        "observability",
                        "position and current cell; the key flag is shown at the key and the door only (aliased in between)")
                .put("verifier", "none")
                .agents(1, true)
                .decisive(2, List.of(0, len - 2), "pick the key at cell 0 and open the door at cell L-2")
                .distractors(
                        "apple cells 1..L-3 (" + (random ? "random layout" : apples + " apples in this instance") + ")",
                        appleMean,
                        appleHalf * appleHalf);
        Map<String, Object> inst = new LinkedHashMap<>();
        inst.put("layout", random ? "random per episode" : cells);
        inst.put("treasure_reward", treasure);
        inst.put("apple_reward_mean", appleMean);
        return new Task(id(), k, mdp, sig, md.build(), inst);
    }

    /** Latent state: position, key held, door opened, content of the current cell. */
    record State(int pos, boolean key, boolean opened, int cell) {}

    private static final class Rules implements OneDecisionPerTurn<State> {
        final int len;
        final int[] layout;
        final boolean random;
        final double prob;
        final double appleMean;
        final double appleHalf;
        final double treasure;

        Rules(int len, int[] layout, boolean random, double prob, double appleMean, double appleHalf, double treasure) {
            this.len = len;
            this.layout = layout;
            this.random = random;
            this.prob = prob;
            this.appleMean = appleMean;
            this.appleHalf = appleHalf;
            this.treasure = treasure;
        }

        @Override
        public String[] actionNames() {
            return new String[] {"pick_key", "pick_left", "pick_right", "open_door"};
        }

        @Override
        public void starts(StartSink<State> sink) {
            sink.add(new State(0, false, false, KEY), 1);
        }

        @Override
        public boolean terminal(State s) {
            return s.pos == len;
        }

        @Override
        public double outcome(State s) {
            return s.opened ? treasure : 0;
        }

        @Override
        public boolean success(State s) {
            return s.opened;
        }

        @Override
        public int turn(State s) {
            return s.pos;
        }

        @Override
        public String observation(State s) {
            String o = "p" + s.pos + ":" + CELL[s.cell];
            return s.cell == DOOR || s.pos == 0 ? o + ":k" + (s.key ? 1 : 0) : o;
        }

        @Override
        public int actionCount(State s) {
            return 4;
        }

        @Override
        public void transitions(State s, int a, TransitionSink<State> sink) {
            boolean key = s.key || (s.cell == KEY && a == 0);
            boolean opened = s.opened || (s.cell == DOOR && s.key && a == 3);
            boolean apple = (s.cell == APPLE_LEFT && a == 1) || (s.cell == APPLE_RIGHT && a == 2);
            double r = apple ? appleMean : 0;
            RewardNoise rn = apple && appleHalf > 0 ? RewardNoise.RADEMACHER : RewardNoise.NONE;
            double rs = apple ? appleHalf : 0;
            int np = s.pos + 1;
            if (np == len) {
                sink.add(1, new State(np, key, opened, EMPTY), r, rn, rs);
            } else if (np == len - 1) {
                sink.add(1, new State(np, key, opened, opened ? TREASURE : EMPTY), r, rn, rs);
            } else if (np == len - 2 || !random) {
                sink.add(1, new State(np, key, opened, layout[np]), r, rn, rs);
            } else {
                if (prob < 1) sink.add(1 - prob, new State(np, key, opened, EMPTY), r, rn, rs);
                if (prob > 0) {
                    sink.add(prob / 2, new State(np, key, opened, APPLE_LEFT), r, rn, rs);
                    sink.add(prob / 2, new State(np, key, opened, APPLE_RIGHT), r, rn, rs);
                }
            }
        }
    }
}

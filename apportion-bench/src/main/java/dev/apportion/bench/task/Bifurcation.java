package dev.apportion.bench.task;

import dev.apportion.bench.mdp.Dynamics;
import dev.apportion.bench.mdp.Mdp;
import dev.apportion.bench.mdp.MdpBuilder;
import dev.apportion.bench.mdp.RewardNoise;
import dev.apportion.core.credit.ParamSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The controlled bifurcation task: {@code horizon} turns, of which {@code decisive} turns at
 * chosen positions decide the outcome; every other turn is irrelevant (but may pay a
 * zero-mean distractor reward).
 *
 * <ul>
 *   <li>Each decisive turn has one correct action among {@code actions}, drawn per instance.
 *       The episode succeeds (outcome 1, else 0) when at least {@code threshold} decisive turns
 *       were answered correctly (default: all of them).</li>
 *   <li>{@code transition_noise} ε: at a decisive choice the executed action is replaced by a
 *       uniformly random one with probability ε (HCA "Shortcut"-style stochasticity).</li>
 *   <li>{@code distractor_noise} σ: every non-decisive turn pays a step reward
 *       N({@code distractor_mean}, σ²).</li>
 *   <li>{@code aliased}: the observation shows the turn only, hiding how many decisive turns
 *       were answered correctly (HCA "Delayed Effect"-style aliasing); otherwise it shows both.</li>
 *   <li>Token-level variant: {@code tokens_per_turn} T &gt; 1 decisions per turn, of which only
 *       the one at {@code decisive_token} matters on a decisive turn; the others are filler.</li>
 * </ul>
 * Source: the survey's controlled bifurcation task (arXiv 2604.09459 §9 per a third-party
 * note; definition reconstructed in benchmarks-and-survey.md §1.7–1.8), generalising the
 * four-turn artifact of §1.7 (binary actions, hidden per-turn targets, threshold outcome).
 */
public final class Bifurcation extends FamilyBase {
    private static final List<ParamSpec> KNOBS = SignalModel.with(List.of(
            ParamSpec.integer("horizon", 8, 1, 512, "Number of turns H."),
            ParamSpec.integer("decisive", 2, 1, 64, "Number of decisive turns k."),
            ParamSpec.realList(
                    "positions", List.of(), "Turn indices (0-based) of the decisive turns; empty = evenly spread."),
            ParamSpec.integer("actions", 2, 2, 16, "Actions per decision."),
            ParamSpec.integer("threshold", 0, 0, 64, "Correct decisive turns needed for success; 0 = all of them."),
            ParamSpec.real(
                    "distractor_noise", 0.0, 0.0, 100.0, "Std of the step reward paid on every non-decisive turn."),
            ParamSpec.real(
                    "distractor_mean", 0.0, -100.0, 100.0, "Mean of the step reward paid on every non-decisive turn."),
            ParamSpec.bool(
                    "aliased", false, "Hide the decisive progress from the observation (aliased intermediate states)."),
            ParamSpec.real(
                    "transition_noise",
                    0.0,
                    0.0,
                    1.0,
                    "Probability that a decisive choice is replaced by a random action."),
            ParamSpec.integer("tokens_per_turn", 1, 1, 32, "Decisions (tokens) per turn; only one is decisive."),
            ParamSpec.integer(
                    "decisive_token", -1, -1, 31, "Which token of a decisive turn decides; -1 = the middle one.")));

    public Bifurcation() {
        super(
                "bifurcation",
                "Controlled bifurcation: k decisive turns among H decide a 0/1 outcome",
                "survey arXiv 2604.09459 (controlled bifurcation task, reconstructed: benchmarks-and-survey.md §1.7-1.8)",
                KNOBS);
    }

    @Override
    public Task create(Knobs k, SplittableRandom rng) {
        int h = k.getInt("horizon");
        int dec = k.getInt("decisive");
        int na = k.getInt("actions");
        int tpt = k.getInt("tokens_per_turn");
        int dtok = k.getInt("decisive_token");
        if (dtok < 0) dtok = tpt / 2;
        if (dtok >= tpt) throw k.invalid("decisive_token", "must be < tokens_per_turn (" + tpt + "), got " + dtok);
        if (dec > h) throw k.invalid("decisive", "(" + dec + ") must be <= horizon (" + h + ")");
        int thr = k.getInt("threshold");
        if (thr == 0) thr = dec;
        if (thr > dec) throw k.invalid("threshold", "(" + thr + ") must be <= decisive (" + dec + ")");
        double[] pos = k.getDoubleList("positions");
        int[] positions = new int[dec];
        if (pos.length == 0) {
            for (int j = 0; j < dec; j++) positions[j] = (int) Math.floor((j + 0.5) * h / dec);
        } else {
            if (pos.length != dec) throw k.invalid("positions", "has " + pos.length + " entries but decisive = " + dec);
            for (int j = 0; j < dec; j++) {
                if (pos[j] != Math.rint(pos[j]) || pos[j] < 0 || pos[j] >= h) {
                    throw k.invalid("positions", "entry " + pos[j] + " is not a turn in [0, " + h + ")");
                }
                positions[j] = (int) pos[j];
                if (j > 0 && positions[j] <= positions[j - 1])
                    throw k.invalid("positions", "must be strictly increasing");
            }
        }
        int[] correctAt = new int[h];
        java.util.Arrays.fill(correctAt, -1);
        List<Integer> correct = new ArrayList<>();
        for (int p : positions) {
            correctAt[p] = rng.nextInt(na);
            correct.add(correctAt[p]);
        }
        Rules r = new Rules(
                h,
                na,
                tpt,
                dtok,
                thr,
                correctAt,
                k.getDouble("distractor_noise"),
                k.getDouble("distractor_mean"),
                k.getBoolean("aliased"),
                k.getDouble("transition_noise"));
        Mdp mdp = MdpBuilder.build(r);
        SignalModel sig = SignalModel.of(k);
        List<Integer> posList = new ArrayList<>();
        for (int p : positions) posList.add(p);
        double sd = r.noise;
        Metadata md = Metadata.of(mdp, sig)
                .reward(
                        r.noise > 0 || r.mean != 0
                                ? "terminal outcome + a step reward on every non-decisive turn"
                                : "terminal only",
                        "outcome after the last turn",
                        "outcome noiseless; distractor steps N(" + r.mean + ", " + sd + "^2)")
                .put(
                        "observability",
                        r.aliased ? "aliased: the observation shows the turn, not the decisive progress" : "full")
                .put("verifier", "none")
                .agents(1, true)
                .decisive(
                        dec,
                        posList,
                        "success iff at least " + thr + " of " + dec + " decisive turns are answered correctly"
                                + (tpt > 1 ? "; only token " + dtok + " of " + tpt + " per decisive turn matters" : ""))
                .distractors(
                        "every non-decisive turn",
                        r.noise > 0 || r.mean != 0 ? Math.abs(r.mean) + sd * Math.sqrt(2 / Math.PI) : 0,
                        sd * sd);
        Map<String, Object> inst = new LinkedHashMap<>();
        inst.put("decisive_turns", posList);
        inst.put("correct_actions", correct);
        inst.put("threshold", thr);
        inst.put("decisive_token", dtok);
        return new Task(id(), k, mdp, sig, md.build(), inst);
    }

    /** Latent state: turn, token within the turn, decisive turns answered correctly so far. */
    record State(int turn, int token, int correct) {}

    private static final class Rules implements Dynamics<State> {
        final int h;
        final int na;
        final int tpt;
        final int dtok;
        final int thr;
        final int[] correctAt;
        final double noise;
        final double mean;
        final boolean aliased;
        final double eps;
        final String[] names;

        Rules(
                int h,
                int na,
                int tpt,
                int dtok,
                int thr,
                int[] correctAt,
                double noise,
                double mean,
                boolean aliased,
                double eps) {
            this.h = h;
            this.na = na;
            this.tpt = tpt;
            this.dtok = dtok;
            this.thr = thr;
            this.correctAt = correctAt;
            this.noise = noise;
            this.mean = mean;
            this.aliased = aliased;
            this.eps = eps;
            this.names = new String[na];
            for (int a = 0; a < na; a++) names[a] = "a" + a;
        }

        @Override
        public int tokensPerTurn() {
            return tpt;
        }

        @Override
        public String[] actionNames() {
            return names;
        }

        @Override
        public void starts(StartSink<State> sink) {
            sink.add(new State(0, 0, 0), 1.0);
        }

        @Override
        public boolean terminal(State s) {
            return s.turn == h;
        }

        @Override
        public double outcome(State s) {
            return s.correct >= thr ? 1 : 0;
        }

        @Override
        public boolean success(State s) {
            return s.correct >= thr;
        }

        @Override
        public int turn(State s) {
            return s.turn;
        }

        @Override
        public int tokenInTurn(State s) {
            return s.token;
        }

        @Override
        public String observation(State s) {
            return aliased ? "t" + s.turn : "t" + s.turn + ":c" + s.correct;
        }

        @Override
        public int actionCount(State s) {
            return na;
        }

        @Override
        public void transitions(State s, int a, TransitionSink<State> sink) {
            boolean lastToken = s.token == tpt - 1;
            int nt = lastToken ? s.turn + 1 : s.turn;
            int nk = lastToken ? 0 : s.token + 1;
            boolean decisiveTurn = correctAt[s.turn] >= 0;
            double rMean = !decisiveTurn && lastToken ? mean : 0;
            RewardNoise rn = !decisiveTurn && lastToken && noise > 0 ? RewardNoise.GAUSSIAN : RewardNoise.NONE;
            double rs = rn == RewardNoise.NONE ? 0 : noise;
            if (decisiveTurn && s.token == dtok) {
                double pRight = (a == correctAt[s.turn] ? 1 - eps : 0) + eps / na;
                sink.add(pRight, new State(nt, nk, s.correct + 1), 0, RewardNoise.NONE, 0);
                sink.add(1 - pRight, new State(nt, nk, s.correct), 0, RewardNoise.NONE, 0);
            } else {
                sink.add(1.0, new State(nt, nk, s.correct), rMean, rn, rs);
            }
        }
    }
}

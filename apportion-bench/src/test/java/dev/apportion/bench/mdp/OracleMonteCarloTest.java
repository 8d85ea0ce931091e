package dev.apportion.bench.mdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.bench.task.Task;
import dev.apportion.bench.task.TaskFamilies;
import dev.apportion.bench.task.TaskFamily;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The exact solver (the oracle's source of truth) against brute-force Monte Carlo: on a small
 * instance of every task family, under a random policy, the sampled mean return, outcome and
 * success frequency from the start and after forcing each action in several visited states
 * agree with V, Q, V_s and Q_s within 4.5 standard errors (fixed seeds, so deterministic).
 */
class OracleMonteCarloTest {
    private static final int N = 12_000;

    static Stream<Arguments> tasks() {
        return Stream.of(
                Arguments.of(
                        "bifurcation",
                        Map.of(
                                "horizon",
                                5,
                                "decisive",
                                2,
                                "actions",
                                3,
                                "distractor_noise",
                                0.5,
                                "transition_noise",
                                0.2)),
                Arguments.of(
                        "bifurcation",
                        Map.of("horizon", 3, "decisive", 2, "tokens_per_turn", 3, "aliased", true, "threshold", 1)),
                Arguments.of("umbrella", Map.of("chain_length", 4, "n_distractor", 2)),
                Arguments.of("discounting_chain", Map.of("mapping_seed", 3)),
                Arguments.of("key_to_door", Map.of("length", 7, "random_distractors", true)),
                Arguments.of("key_to_door", Map.of("length", 6)),
                Arguments.of(
                        "agentic",
                        Map.of(
                                "trace_length",
                                2,
                                "tools",
                                3,
                                "max_turns",
                                4,
                                "tool_failure",
                                0.3,
                                "verifier_reward",
                                0.5)),
                Arguments.of("multi_agent", Map.of("agents", 3, "rounds", 2, "symbols", 2, "distractor_noise", 0.3)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("tasks")
    void exactValuesMatchMonteCarlo(String family, Map<String, Object> knobs) {
        TaskFamily f = TaskFamilies.get(family);
        Task task = f.create(f.knobs(knobs), new SplittableRandom(7));
        Mdp m = task.mdp();
        SplittableRandom rng = new SplittableRandom(11);
        TabularPolicy policy = TabularPolicy.random(m, 1.0, rng);
        Solution sol = Solution.of(m, policy);

        // start value from the start distribution
        double[] ret = new double[N];
        double[] succ = new double[N];
        for (int i = 0; i < N; i++) {
            Episode e = Episode.sample(m, sol, Episode.sampleStart(m, rng), false, rng);
            ret[i] = e.totalReturn(m);
            succ[i] = m.success(e.terminal()) ? 1 : 0;
        }
        close(sol.startValue(), ret, family + " V(start)");
        // return variance from one start state (the Monte-Carlo value signal's noise)
        int s00 = m.startStates()[0];
        double[] g = new double[N];
        for (int i = 0; i < N; i++)
            g[i] = Episode.sample(m, sol, s00, false, rng).totalReturn(m);
        double mean0 = 0;
        for (double x : g) mean0 += x;
        mean0 /= N;
        double[] dev2 = new double[N];
        for (int i = 0; i < N; i++) dev2[i] = (g[i] - mean0) * (g[i] - mean0);
        close(sol.returnVariance(s00), dev2, family + " Var[G | start]");
        close(sol.startSuccess(), succ, family + " V_s(start)");

        // Q, Q_outcome and Q_s of every action in states visited by one episode
        Episode probe = Episode.sample(m, sol, m.startStates()[0], false, new SplittableRandom(3));
        int checked = 0;
        for (int k = 0; k < probe.length() && checked < 3; k += Math.max(1, probe.length() / 3)) {
            int s = probe.states()[k];
            for (int a = 0; a < m.actionCount(s); a++) {
                double[] q = new double[N / 4];
                double[] qo = new double[N / 4];
                double[] qs = new double[N / 4];
                for (int i = 0; i < q.length; i++) {
                    double[] r = forced(m, sol, s, a, rng);
                    q[i] = r[0];
                    qo[i] = r[1];
                    qs[i] = r[2];
                }
                int sa = m.pair(s, a);
                close(sol.q(sa), q, family + " Q(" + m.observation(s) + ", " + a + ")");
                close(sol.qOutcome(sa), qo, family + " Qo(" + m.observation(s) + ", " + a + ")");
                close(sol.qSuccess(sa), qs, family + " Qs(" + m.observation(s) + ", " + a + ")");
            }
            checked++;
        }
        assertTrue(checked > 0);
        // V(s) = Σ_a π(a|s) Q(s,a) is what advantages are measured against
        int s0 = m.startStates()[0];
        double v = 0;
        for (int a = 0; a < m.actionCount(s0); a++) v += sol.pi(m.pair(s0, a)) * sol.q(m.pair(s0, a));
        assertEquals(sol.v(s0), v, 1e-12);
    }

    /** Return, outcome and success after forcing {@code a} in {@code s} and then following the policy. */
    private static double[] forced(Mdp m, Solution sol, int s, int a, SplittableRandom rng) {
        int sa = m.pair(s, a);
        double u = rng.nextDouble();
        double c = 0;
        int tr = m.transitionEnd(sa) - 1;
        for (int t = m.transitionStart(sa); t < m.transitionEnd(sa); t++) {
            c += m.probability(t);
            if (u < c) {
                tr = t;
                break;
            }
        }
        double r = m.rewardMean(tr) + m.rewardNoise(tr).sample(rng, m.rewardScale(tr));
        int next = m.next(tr);
        int term = next;
        if (!m.terminal(next)) {
            Episode e = Episode.sample(m, sol, next, false, rng);
            for (double x : e.rewards()) r += x;
            term = e.terminal();
        }
        return new double[] {r + m.outcome(term), m.outcome(term), m.success(term) ? 1 : 0};
    }

    private static void close(double exact, double[] samples, String what) {
        double mean = 0;
        for (double x : samples) mean += x;
        mean /= samples.length;
        double var = 0;
        for (double x : samples) var += (x - mean) * (x - mean);
        double se = Math.sqrt(var / (samples.length - 1) / samples.length);
        double tol = 4.5 * se + 1e-9;
        double mc = mean;
        assertTrue(
                Math.abs(mc - exact) <= tol,
                () -> what + ": exact " + exact + " vs Monte Carlo mean " + mc + " of " + samples.length
                        + " samples (tolerance " + tol + ")");
    }
}

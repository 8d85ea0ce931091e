package dev.apportion.bench.mdp;

import java.util.function.IntToDoubleFunction;

/**
 * Exact values of one policy on one {@link Mdp}, by backward induction (no sampling):
 * for every state {@code s} and pair {@code sa},
 * <ul>
 *   <li>{@code V(s)}, {@code Q(sa)}: expected total undiscounted return (step rewards plus the
 *       terminal outcome) from there on;</li>
 *   <li>{@code Vo}, {@code Qo}: expected terminal outcome only;</li>
 *   <li>{@code Vs}, {@code Qs}: probability of ending in a success state;</li>
 *   <li>{@code pi(sa)}: the policy's probability of the action.</li>
 * </ul>
 * The true advantage of an action is {@code A(sa) = Q(sa) − V(s)}. Arrays are read-only.
 */
public final class Solution {
    private final Mdp mdp;
    private final double[] v;
    private final double[] q;
    private final double[] vo;
    private final double[] qo;
    private final double[] vs;
    private final double[] qs;
    private final double[] pi;
    private double[] m2;
    private final java.util.Map<Double, double[]> discounted = new java.util.concurrent.ConcurrentHashMap<>();

    private Solution(Mdp mdp, double[] v, double[] q, double[] vo, double[] qo, double[] vs, double[] qs, double[] pi) {
        this.mdp = mdp;
        this.v = v;
        this.q = q;
        this.vo = vo;
        this.qo = qo;
        this.vs = vs;
        this.qs = qs;
        this.pi = pi;
    }

    /** Solves {@code m} under {@code policy}. */
    public static Solution of(Mdp m, TabularPolicy policy) {
        int n = m.stateCount();
        int np = m.pairCount();
        double[] pi = new double[np];
        double[] row = new double[Math.max(1, m.maxActions())];
        for (int s = 0; s < n; s++) {
            if (m.terminal(s)) continue;
            policy.probabilities(m.feature(s), row);
            int base = m.actionStart(s);
            for (int a = 0; a < m.actionCount(s); a++) pi[base + a] = row[a];
        }
        return solve(m, pi);
    }

    /** Solves {@code m} under the best deterministic policy for the success probability (for thresholds). */
    public static double optimalSuccess(Mdp m) {
        int n = m.stateCount();
        double[] vs = new double[n];
        for (int s = n - 1; s >= 0; s--) {
            if (m.terminal(s)) {
                vs[s] = m.success(s) ? 1 : 0;
                continue;
            }
            double best = 0;
            for (int a = 0; a < m.actionCount(s); a++) {
                int sa = m.pair(s, a);
                double x = 0;
                for (int t = m.transitionStart(sa); t < m.transitionEnd(sa); t++) x += m.probability(t) * vs[m.next(t)];
                best = Math.max(best, x);
            }
            vs[s] = best;
        }
        double total = 0;
        for (int i = 0; i < m.startStates().length; i++) total += m.startProbs()[i] * vs[m.startStates()[i]];
        return total;
    }

    private static Solution solve(Mdp m, double[] pi) {
        int n = m.stateCount();
        int np = m.pairCount();
        double[] v = new double[n];
        double[] vo = new double[n];
        double[] vs = new double[n];
        double[] q = new double[np];
        double[] qo = new double[np];
        double[] qs = new double[np];
        for (int s = n - 1; s >= 0; s--) {
            if (m.terminal(s)) {
                v[s] = m.outcome(s);
                vo[s] = m.outcome(s);
                vs[s] = m.success(s) ? 1 : 0;
                continue;
            }
            double sv = 0;
            double so = 0;
            double ss = 0;
            for (int a = 0; a < m.actionCount(s); a++) {
                int sa = m.pair(s, a);
                double x = 0;
                double xo = 0;
                double xs = 0;
                for (int t = m.transitionStart(sa); t < m.transitionEnd(sa); t++) {
                    double p = m.probability(t);
                    int nx = m.next(t);
                    x += p * (m.rewardMean(t) + v[nx]);
                    xo += p * vo[nx];
                    xs += p * vs[nx];
                }
                q[sa] = x;
                qo[sa] = xo;
                qs[sa] = xs;
                sv += pi[sa] * x;
                so += pi[sa] * xo;
                ss += pi[sa] * xs;
            }
            v[s] = sv;
            vo[s] = so;
            vs[s] = ss;
        }
        return new Solution(m, v, q, vo, qo, vs, qs, pi);
    }

    public Mdp mdp() {
        return mdp;
    }

    /**
     * Variance of the total return from {@code s} under the policy (exact: second moments by
     * backward induction, step-reward noise included). Computed on first use; not thread-safe
     * on first use.
     */
    public double returnVariance(int s) {
        if (m2 == null) m2 = secondMoments();
        return Math.max(0, m2[s] - v[s] * v[s]);
    }

    private double[] secondMoments() {
        return evaluateBackward(s -> mdp.outcome(s) * mdp.outcome(s), (t, out) -> {
            double r = mdp.rewardMean(t);
            double sc = mdp.rewardNoise(t) == RewardNoise.NONE ? 0 : mdp.rewardScale(t);
            int nx = mdp.next(t);
            return r * r + sc * sc + 2 * r * v[nx] + out[nx];
        });
    }

    /** What one transition contributes to its state-action pair, given the values of later states. */
    @FunctionalInterface
    private interface TransitionTerm {
        double of(int transition, double[] later);
    }

    /**
     * Policy evaluation by backward induction (states are numbered so that successors come
     * later): a terminal state holds {@code terminal(s)}; any other state holds
     * {@code Σ_a π(a|s) Σ_t p(t)·term(t)}, summed in action and transition order.
     */
    private double[] evaluateBackward(IntToDoubleFunction terminal, TransitionTerm term) {
        int n = mdp.stateCount();
        double[] out = new double[n];
        for (int s = n - 1; s >= 0; s--) {
            if (mdp.terminal(s)) {
                out[s] = terminal.applyAsDouble(s);
                continue;
            }
            double x = 0;
            for (int a = 0; a < mdp.actionCount(s); a++) {
                int sa = mdp.pair(s, a);
                double y = 0;
                for (int t = mdp.transitionStart(sa); t < mdp.transitionEnd(sa); t++)
                    y += mdp.probability(t) * term.of(t, out);
                x += pi[sa] * y;
            }
            out[s] = x;
        }
        return out;
    }

    /**
     * The discounted value of every state under the policy, one time step per decision:
     * {@code V_γ(s) = Σ_a π(a|s) Σ p·(r + γ·V_γ(s'))} for a non-terminal {@code s'}, and
     * {@code r + outcome(s')} when {@code s'} is terminal (the outcome arrives with the last
     * decision's reward, undiscounted); terminal states hold their outcome. {@code γ = 1} gives
     * {@link #v(int)}. Computed once per γ (read-only array; thread-safe).
     */
    public double[] discountedValues(double gamma) {
        return discounted.computeIfAbsent(gamma, this::solveDiscounted);
    }

    private double[] solveDiscounted(double gamma) {
        return evaluateBackward(mdp::outcome, (t, out) -> {
            int nx = mdp.next(t);
            return mdp.rewardMean(t) + (mdp.terminal(nx) ? out[nx] : gamma * out[nx]);
        });
    }

    public double v(int s) {
        return v[s];
    }

    public double q(int sa) {
        return q[sa];
    }

    /** True advantage {@code Q(s,a) − V(s)}. */
    public double advantage(int s, int a) {
        return q[mdp.pair(s, a)] - v[s];
    }

    public double vOutcome(int s) {
        return vo[s];
    }

    public double qOutcome(int sa) {
        return qo[sa];
    }

    public double vSuccess(int s) {
        return vs[s];
    }

    public double qSuccess(int sa) {
        return qs[sa];
    }

    public double pi(int sa) {
        return pi[sa];
    }

    /** Expected return from the start distribution. */
    public double startValue() {
        double total = 0;
        for (int i = 0; i < mdp.startStates().length; i++) total += mdp.startProbs()[i] * v[mdp.startStates()[i]];
        return total;
    }

    /** Success probability from the start distribution. */
    public double startSuccess() {
        double total = 0;
        for (int i = 0; i < mdp.startStates().length; i++) total += mdp.startProbs()[i] * vs[mdp.startStates()[i]];
        return total;
    }

    /** Largest minus smallest Q over the actions of {@code s} (0 for terminal states). */
    public double spread(int s) {
        return spread(s, q);
    }

    /** Spread of the success probability over the actions of {@code s}. */
    public double successSpread(int s) {
        return spread(s, qs);
    }

    private double spread(int s, double[] arr) {
        if (mdp.terminal(s)) return 0;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int a = 0; a < mdp.actionCount(s); a++) {
            double x = arr[mdp.pair(s, a)];
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        return hi - lo;
    }
}

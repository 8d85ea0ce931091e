package dev.apportion.bench.mdp;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Enumerates the reachable states of a {@link Dynamics} layer by layer (breadth first, one
 * decision per layer) and compiles them into an {@link Mdp}. Rejects rules that break the
 * layering, probabilities that do not sum to one, or state spaces above a size limit.
 */
public final class MdpBuilder {
    /** Largest number of states a task may have (the exact solver is linear in it). */
    public static final int MAX_STATES = 2_000_000;

    private MdpBuilder() {}

    /** Compiles {@code d}. */
    public static <S> Mdp build(Dynamics<S> d) {
        int tpt = d.tokensPerTurn();
        if (tpt < 1) throw new IllegalArgumentException("tokensPerTurn must be >= 1, got " + tpt);
        Map<S, Integer> index = new HashMap<>();
        List<S> states = new ArrayList<>();
        List<Integer> starts = new ArrayList<>();
        List<Double> startP = new ArrayList<>();
        d.starts((s, p) -> {
            if (!(p > 0)) throw new IllegalArgumentException("start probability must be > 0, got " + p + " for " + s);
            Integer i = index.get(s);
            if (i == null) {
                i = states.size();
                index.put(s, i);
                states.add(s);
            }
            starts.add(i);
            startP.add(p);
        });
        if (states.isEmpty()) throw new IllegalArgumentException("dynamics have no start state");
        double total = 0;
        for (double p : startP) total += p;
        if (Math.abs(total - 1) > 1e-9)
            throw new IllegalArgumentException("start probabilities sum to " + total + ", not 1");
        int depth0 = depth(d, states.get(0), tpt);
        for (S s : states) {
            if (depth(d, s, tpt) != depth0)
                throw new IllegalArgumentException("start states must share one turn/token, got " + s);
        }

        List<Integer> saStart = new ArrayList<>();
        List<Integer> trStart = new ArrayList<>();
        List<Double> verifier = new ArrayList<>();
        List<Boolean> biased = new ArrayList<>();
        List<Integer> next = new ArrayList<>();
        List<Double> prob = new ArrayList<>();
        List<Double> rMean = new ArrayList<>();
        List<RewardNoise> rNoise = new ArrayList<>();
        List<Double> rScale = new ArrayList<>();
        // Layered BFS: states of one layer are expanded before the next layer is numbered, so all
        // edges point forward.
        int layerStart = 0;
        int layerEnd = states.size();
        List<Object[]> pending = new ArrayList<>();
        while (layerStart < layerEnd) {
            Map<S, Integer> nextLayer = new LinkedHashMap<>();
            pending.clear();
            for (int i = layerStart; i < layerEnd; i++) {
                S s = states.get(i);
                saStart.add(trStart.size());
                if (d.terminal(s)) continue;
                int na = d.actionCount(s);
                if (na < 1) throw new IllegalArgumentException("non-terminal state " + s + " has " + na + " actions");
                int depth = depth(d, s, tpt);
                final int layerBase = layerEnd;
                for (int a = 0; a < na; a++) {
                    trStart.add(next.size());
                    verifier.add(d.verifier(s, a));
                    biased.add(d.prmBiased(s, a));
                    double[] sum = {0};
                    final int action = a;
                    d.transitions(s, a, (p, n, mean, noise, scale) -> {
                        if (!(p >= 0) || p > 1 + 1e-12)
                            throw new IllegalArgumentException(
                                    "bad probability " + p + " from " + s + " action " + action);
                        if (p == 0) return;
                        if (depth(d, n, tpt) != depth + 1) {
                            throw new IllegalArgumentException("transition from " + s + " (action " + action + ") to "
                                    + n + " does not advance exactly one decision");
                        }
                        Integer j = index.get(n);
                        if (j == null) {
                            j = nextLayer.get(n);
                            if (j == null) {
                                j = layerBase + nextLayer.size();
                                nextLayer.put(n, j);
                            }
                        }
                        next.add(j);
                        prob.add(p);
                        rMean.add(mean);
                        rNoise.add(noise == null ? RewardNoise.NONE : noise);
                        rScale.add(scale);
                        sum[0] += p;
                    });
                    if (Math.abs(sum[0] - 1) > 1e-9) {
                        throw new IllegalArgumentException(
                                "transition probabilities from " + s + " action " + a + " sum to " + sum[0]);
                    }
                }
            }
            for (S n : nextLayer.keySet()) {
                index.put(n, states.size());
                states.add(n);
            }
            if (states.size() > MAX_STATES)
                throw new IllegalArgumentException("task has more than " + MAX_STATES + " states");
            layerStart = layerEnd;
            layerEnd = states.size();
        }
        int n = states.size();
        saStart.add(trStart.size());
        trStart.add(next.size());

        int[] turn = new int[n];
        int[] token = new int[n];
        int[] feature = new int[n];
        String[] obs = new String[n];
        String[] agent = new String[n];
        int[] bits = new int[n];
        double[] outcome = new double[n];
        boolean[] success = new boolean[n];
        Map<String, Integer> features = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            S s = states.get(i);
            turn[i] = d.turn(s);
            token[i] = d.tokenInTurn(s);
            obs[i] = d.observation(s);
            agent[i] = d.agent(s);
            bits[i] = d.distractorBits(s);
            if (d.terminal(s)) {
                feature[i] = -1;
                outcome[i] = d.outcome(s);
                success[i] = d.success(s);
                if (!Double.isFinite(outcome[i]))
                    throw new IllegalArgumentException("outcome of " + s + " is " + outcome[i]);
            } else {
                String key = "t" + turn[i] + (tpt > 1 ? "." + token[i] : "") + "|" + obs[i];
                Integer f = features.get(key);
                if (f == null) {
                    f = features.size();
                    features.put(key, f);
                }
                feature[i] = f;
            }
        }
        // every state with one feature must offer the same number of actions
        int[] featureActions = new int[features.size()];
        for (int i = 0; i < n; i++) {
            if (feature[i] < 0) continue;
            int na = saStart.get(i + 1) - saStart.get(i);
            if (featureActions[feature[i]] == 0) featureActions[feature[i]] = na;
            else if (featureActions[feature[i]] != na) {
                throw new IllegalArgumentException(
                        "states observed as '" + obs[i] + "' offer different numbers of actions");
            }
        }
        return new Mdp(
                tpt,
                d.actionNames().clone(),
                turn,
                token,
                feature,
                obs,
                agent,
                bits,
                outcome,
                success,
                ints(saStart),
                ints(trStart),
                doubles(verifier),
                bools(biased),
                ints(next),
                doubles(prob),
                doubles(rMean),
                rNoise.toArray(new RewardNoise[0]),
                doubles(rScale),
                ints(starts),
                doubles(startP),
                features.keySet().toArray(new String[0]));
    }

    private static <S> int depth(Dynamics<S> d, S s, int tpt) {
        return d.turn(s) * tpt + d.tokenInTurn(s);
    }

    private static int[] ints(List<Integer> l) {
        int[] a = new int[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = l.get(i);
        return a;
    }

    private static double[] doubles(List<Double> l) {
        double[] a = new double[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = l.get(i);
        return a;
    }

    private static boolean[] bools(List<Boolean> l) {
        boolean[] a = new boolean[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = l.get(i);
        return a;
    }
}

package dev.apportion.core.kernel;

import dev.apportion.core.credit.Execution;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;
import java.util.Map;

/**
 * The turns of a batch and the group statistics shared by the paper-level turn and
 * multi-agent estimators ({@code at_grpo}, {@code coma}, {@code pbsd}, {@code mapo_turn}, …).
 *
 * <p>A <b>turn</b> is a non-empty policy span (one model action); context spans (observations,
 * tool output) belong to no turn and always get credit 0. Turns are numbered globally in batch
 * order: the turns of trajectory {@code i} are {@code [start(i), end(i))}, in span order.
 *
 * <p>Instances are immutable and safe to share between threads; every array argument is read
 * only unless its documentation says otherwise.
 */
public final class TurnTable extends SpanTable {
    private TurnTable(SpanIndex index) {
        super(index);
    }

    /** The turns (non-empty policy spans) of {@code batch}. */
    public static TurnTable of(Rollouts batch) {
        return new TurnTable(SpanIndex.policy(batch, true));
    }

    /** Number of turns in the batch. */
    public int size() {
        return spans.length;
    }

    /** Position of turn {@code j} among its trajectory's turns (0-based). */
    public int indexInTrajectory(int j) {
        return j - offsets[trajectory[j]];
    }

    /** True when turn {@code j} is its trajectory's last turn. */
    public boolean isLast(int j) {
        return j == offsets[trajectory[j] + 1] - 1;
    }

    /**
     * Sum of a token signal over each turn's tokens.
     *
     * @param perToken read, one value per token of the batch
     * @return a fresh array, one per turn
     */
    public double[] sumOverTurns(Rollouts batch, float[] perToken) {
        double[] out = new double[spans.length];
        for (int j = 0; j < out.length; j++) {
            double sum = 0;
            for (int t = batch.spanTokenStart(spans[j]), e = batch.spanTokenEnd(spans[j]); t < e; t++)
                sum += perToken[t];
            out[j] = sum;
        }
        return out;
    }

    /** Like {@link #sumOverTurns} for the difference {@code a − b} of two token signals. */
    public double[] sumOfDifference(Rollouts batch, float[] a, float[] b) {
        double[] out = new double[spans.length];
        for (int j = 0; j < out.length; j++) {
            double sum = 0;
            for (int t = batch.spanTokenStart(spans[j]), e = batch.spanTokenEnd(spans[j]); t < e; t++)
                sum += (double) a[t] - b[t];
            out[j] = sum;
        }
        return out;
    }

    /**
     * The agent of every turn as a small integer: names are numbered in order of first
     * appearance and appended to {@code names}; a turn whose span has no agent gets -1.
     *
     * @param names written: receives the distinct agent names
     */
    public int[] agentIds(Rollouts batch, java.util.List<String> names) {
        String[] agentOf = batch.spanAgent();
        int[] out = new int[spans.length];
        if (agentOf == null) {
            Arrays.fill(out, -1);
            return out;
        }
        java.util.Map<String, Integer> ids = new java.util.HashMap<>();
        // the first few distinct name objects, tried by identity before the map (a batch usually
        // holds each agent's name as one shared String, and has few agents)
        String[] recent = new String[RECENT_AGENTS];
        int[] recentId = new int[RECENT_AGENTS];
        int recentCount = 0;
        for (int j = 0; j < out.length; j++) {
            String a = agentOf[spans[j]];
            if (a == null) {
                out[j] = -1;
                continue;
            }
            int id = -1;
            for (int q = 0; q < recentCount; q++) {
                if (recent[q] == a) {
                    id = recentId[q];
                    break;
                }
            }
            if (id < 0) {
                Integer known = ids.get(a);
                if (known == null) {
                    known = names.size();
                    ids.put(a, known);
                    names.add(a);
                }
                id = known;
                if (recentCount < RECENT_AGENTS) {
                    recent[recentCount] = a;
                    recentId[recentCount++] = id;
                }
            }
            out[j] = id;
        }
        return out;
    }

    private static final int RECENT_AGENTS = 8;

    /** Number of tokens of each turn. */
    public int[] lengths(Rollouts batch) {
        int[] out = new int[spans.length];
        for (int j = 0; j < out.length; j++) out[j] = batch.spanTokenEnd(spans[j]) - batch.spanTokenStart(spans[j]);
        return out;
    }

    /**
     * Writes {@code perTurn[j]} on every token of turn {@code j} and 0 on every other token.
     *
     * @param perTurn read, one per turn
     * @return a fresh array, one per token
     */
    public float[] broadcast(Rollouts batch, double[] perTurn, Execution exec) {
        float[] out = new float[batch.tokenCount()];
        exec.forTrajectories(batch, Execution.Cost.LIGHT, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                for (int j = offsets[i]; j < offsets[i + 1]; j++) {
                    Arrays.fill(out, batch.spanTokenStart(spans[j]), batch.spanTokenEnd(spans[j]), (float) perTurn[j]);
                }
            }
        });
        return out;
    }

    /**
     * {@link #broadcast(Rollouts, double[], Execution)} into an array the caller reuses: writes
     * every token of {@code out}, {@code perTurn[j]} on turn {@code j}'s tokens and 0 elsewhere.
     *
     * @param out written, one per token (its previous contents do not matter)
     * @return {@code out}
     */
    public float[] broadcast(Rollouts batch, double[] perTurn, Execution exec, float[] out) {
        int[] spanTok = batch.spanTokenOffsets();
        exec.forTrajectories(batch, Execution.Cost.LIGHT, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                int t = batch.tokenStart(i);
                for (int j = offsets[i]; j < offsets[i + 1]; j++) {
                    int s = spans[j];
                    Arrays.fill(out, t, spanTok[s], 0f);
                    t = spanTok[s + 1];
                    Arrays.fill(out, spanTok[s], t, (float) perTurn[j]);
                }
                Arrays.fill(out, t, batch.tokenEnd(i), 0f);
            }
        });
        return out;
    }

    /**
     * Two {@link #broadcast(Rollouts, double[], Execution, float[])} calls in one walk over the spans:
     * {@code (float) perTurnA[j]} into {@code outA} and {@code (float) perTurnB[j]} into {@code outB} on
     * turn {@code j}'s tokens, 0 on every other token of both (the same values as the two calls; the
     * spans and token offsets are read once instead of twice).
     *
     * @param outA written, one per token (its previous contents do not matter)
     * @param outB written, one per token, a different array from {@code outA}
     */
    public void broadcast(
            Rollouts batch, double[] perTurnA, float[] outA, double[] perTurnB, float[] outB, Execution exec) {
        int[] spanOff = batch.trajectorySpanOffsets();
        int[] tokOff = batch.spanTokenOffsets();
        exec.forTrajectories(batch, Execution.Cost.LIGHT, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                int j = offsets[i];
                int end = offsets[i + 1];
                int next = j < end ? spans[j] : -1;
                for (int s = spanOff[i], e = spanOff[i + 1]; s < e; s++) {
                    float a = 0f;
                    float b = 0f;
                    if (s == next) {
                        a = (float) perTurnA[j];
                        b = (float) perTurnB[j];
                        next = ++j < end ? spans[j] : -1;
                    }
                    int t0 = tokOff[s];
                    int t1 = tokOff[s + 1];
                    Arrays.fill(outA, t0, t1, a);
                    Arrays.fill(outB, t0, t1, b);
                }
            }
        });
    }

    // ---- shared statistics -------------------------------------------------------------------

    /**
     * GRPO's outcome advantage per trajectory, the episode-level term of several paper-level
     * estimators: {@link Rollouts#scores()} z-scored within each group with the unbiased std
     * ({@code torch.std}) plus {@code epsilon}; a one-trajectory group gets 0.
     *
     * @return a fresh array, one per trajectory
     */
    public static double[] groupOutcomeAdvantage(Rollouts batch, double epsilon) {
        return GroupZScores.zscore(batch.scores(), batch.trajectoryGroups(), batch.groupCount(), true, true, epsilon);
    }

    /**
     * The shared (team) outcome of every trajectory: the scalar outcome, or, when a trajectory
     * has none, the sum of its outcome components that have a value.
     *
     * @throws RolloutException naming the first trajectory without any outcome
     */
    public static double[] teamOutcome(Rollouts batch, String estimator) {
        int n = batch.trajectoryCount();
        float[] o = batch.outcome();
        Map<String, float[]> comps = batch.outcomeComponents();
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            if (o != null && !Float.isNaN(o[i])) {
                out[i] = o[i];
                continue;
            }
            boolean any = false;
            double sum = 0;
            for (float[] c : comps.values()) {
                if (!Float.isNaN(c[i])) {
                    sum += c[i];
                    any = true;
                }
            }
            if (!any) {
                throw new RolloutException(
                        batch.describe(i) + ": estimator '" + estimator
                                + "' needs the shared outcome (outcome or outcome components) of every trajectory, and this one has none",
                        i,
                        "outcome");
            }
            out[i] = sum;
        }
        return out;
    }

    /**
     * The outcome of every trajectory for methods that add it to the last turn: the scalar
     * outcome, else the sum of the outcome components that have a value, else 0.
     */
    public static double[] outcomesOrZero(Rollouts batch) {
        int n = batch.trajectoryCount();
        double[] out = new double[n];
        float[] o = batch.outcome();
        for (int i = 0; i < n; i++) {
            if (o != null && !Float.isNaN(o[i])) {
                out[i] = o[i];
            } else {
                for (float[] c : batch.outcomeComponents().values()) if (!Float.isNaN(c[i])) out[i] += c[i];
            }
        }
        return out;
    }

    /**
     * Numbers the (group, turn index) cells densely: turn {@code j} of a trajectory of group
     * {@code g} at position {@code t} gets cell {@code start(g) + t}.
     *
     * @param cellCount written: {@code cellCount[0]} receives the number of cells
     * @return the cell of every turn
     */
    public int[] groupTurnIndexCells(Rollouts batch, int[] cellCount) {
        int groups = batch.groupCount();
        int[] width = new int[groups + 1];
        for (int i = 0; i < trajectoryCount(); i++) {
            int g = batch.trajectoryGroup(i);
            width[g + 1] = Math.max(width[g + 1], end(i) - start(i));
        }
        for (int k = 0; k < groups; k++) width[k + 1] += width[k];
        int[] cell = new int[spans.length];
        for (int j = 0; j < cell.length; j++)
            cell[j] = width[batch.trajectoryGroup(trajectory[j])] + indexInTrajectory(j);
        cellCount[0] = width[groups];
        return cell;
    }

    /**
     * Discounted return over each trajectory's turns: {@code G_j = r_j + γ·G_{j+1}}, 0 after
     * the last turn.
     *
     * @param perTurn read
     * @return a fresh array
     */
    public double[] returns(double[] perTurn, double gamma) {
        double[] g = new double[perTurn.length];
        for (int i = 0; i < trajectoryCount(); i++) {
            double acc = 0;
            for (int j = end(i) - 1; j >= start(i); j--) {
                acc = perTurn[j] + gamma * acc;
                g[j] = acc;
            }
        }
        return g;
    }

    /**
     * A span signal on every turn.
     *
     * @throws RolloutException when the batch lacks the signal or a turn has none (NaN)
     */
    public double[] requireSpanSignal(Rollouts batch, String name, String estimator, String producedBy) {
        float[] v = batch.spanSignal(name);
        if (v == null) {
            throw new RolloutException(
                    "estimator '" + estimator + "' needs the span signal '" + name + "' (" + producedBy
                            + ") on every policy span, which the batch lacks (spans[].signals." + name + ")",
                    -1,
                    "spans.signals." + name);
        }
        double[] out = new double[spans.length];
        for (int j = 0; j < out.length; j++) {
            float x = v[spans[j]];
            if (Float.isNaN(x)) {
                int i = trajectory[j];
                int local = spans[j] - batch.spanStart(i);
                throw new RolloutException(
                        batch.describe(i) + ": policy span " + local + " has no signals." + name + " (" + producedBy
                                + "), which estimator '" + estimator + "' needs",
                        i,
                        "spans[" + local + "].signals." + name);
            }
            out[j] = x;
        }
        return out;
    }

    /** The span reward of every turn, 0 where absent (or everywhere when the batch has none). */
    public double[] spanRewards(Rollouts batch) {
        float[] r = batch.spanReward();
        double[] out = new double[spans.length];
        if (r == null) return out;
        for (int j = 0; j < out.length; j++) out[j] = Float.isNaN(r[spans[j]]) ? 0 : r[spans[j]];
        return out;
    }
}

package dev.apportion.io.golden;

import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * GiGPO cases ({@code input.layout} = "one row per step", GOLDEN-CONTRACT.md): rows are agent
 * steps. Trajectories are formed by {@code traj_index}, in order of first appearance, and
 * keep their rows' relative order; the group is {@code index} (the same for every row of a
 * trajectory). Each row must have a response mask that is a prefix of ones followed by zeros;
 * it contributes one policy span (its valid tokens; state = {@code anchor_obs[row]} as a
 * string, reward = {@code step_env_rewards[row]}) followed by one context span (its padding,
 * possibly empty). {@code token_level_rewards} → token signal {@code reward} over the whole
 * row. The trajectory's id is its {@code traj_index}. Params verbatim (JSON nulls left out).
 */
public final class GigpoStepAdapter implements GoldenAdapter {
    /** The {@code input.layout} text that selects this adapter. */
    public static final String LAYOUT = "one row per step";

    @Override
    public String name() {
        return "gigpo steps";
    }

    @Override
    public boolean accepts(GoldenCase c) {
        return LAYOUT.equals(c.input().path("layout").asText(null));
    }

    @Override
    public AdaptedCase adapt(GoldenCase c) {
        float[][] rewards = GoldenInputs.matrix(c, "token_level_rewards");
        float[][] mask = GoldenInputs.matrix(c, "response_mask");
        String[] index = GoldenInputs.strings(c, "index");
        String[] traj = GoldenInputs.strings(c, "traj_index");
        String[] anchor = GoldenInputs.has(c, "anchor_obs") ? GoldenInputs.strings(c, "anchor_obs") : null;
        float[] stepRewards =
                GoldenInputs.has(c, "step_env_rewards") ? GoldenInputs.vector(c, "step_env_rewards") : null;
        int rows = mask.length;
        GoldenInputs.sameRows("token_level_rewards", rewards.length, "response_mask", rows);
        GoldenInputs.sameRows("index", index.length, "response_mask", rows);
        GoldenInputs.sameRows("traj_index", traj.length, "response_mask", rows);
        if (anchor != null) GoldenInputs.sameRows("anchor_obs", anchor.length, "response_mask", rows);
        if (stepRewards != null) GoldenInputs.sameRows("step_env_rewards", stepRewards.length, "response_mask", rows);

        int[] valid = new int[rows];
        for (int r = 0; r < rows; r++) {
            if (rewards[r].length != mask[r].length) {
                throw new IllegalArgumentException("input.token_level_rewards[" + r + "] has " + rewards[r].length
                        + " positions but input.response_mask[" + r + "] has " + mask[r].length);
            }
            valid[r] = prefixLength(mask[r], r);
        }

        Map<String, List<Integer>> byTraj = new LinkedHashMap<>();
        for (int r = 0; r < rows; r++)
            byTraj.computeIfAbsent(traj[r], k -> new ArrayList<>()).add(r);

        RolloutsBuilder b = Rollouts.builder();
        int[] rowTraj = new int[rows];
        int[] rowOffset = new int[rows];
        int t = 0;
        for (Map.Entry<String, List<Integer>> e : byTraj.entrySet()) {
            List<Integer> members = e.getValue();
            String group = index[members.get(0)];
            int length = 0;
            for (int r : members) {
                if (!index[r].equals(group)) {
                    throw new IllegalArgumentException(
                            "trajectory '" + e.getKey() + "' has rows in two groups: input.index[" + members.get(0)
                                    + "] = '" + group + "' but input.index[" + r + "] = '" + index[r] + "'");
                }
                rowTraj[r] = t;
                rowOffset[r] = length;
                length += mask[r].length;
            }
            b.trajectory(group, e.getKey());
            float[] tokenRewards = new float[length];
            for (int r : members) {
                b.span(
                        Role.POLICY,
                        valid[r],
                        stepRewards == null ? Double.NaN : stepRewards[r],
                        anchor == null ? null : anchor[r],
                        null);
                b.span(Role.CONTEXT, mask[r].length - valid[r]);
                System.arraycopy(rewards[r], 0, tokenRewards, rowOffset[r], rewards[r].length);
            }
            b.tokenSignal(Rollouts.REWARD, tokenRewards);
            t++;
        }
        Rollouts batch = b.build();
        int[][] tokenIndex = new int[rows][];
        for (int r = 0; r < rows; r++) {
            int start = batch.tokenStart(rowTraj[r]) + rowOffset[r];
            int[] row = new int[mask[r].length];
            for (int j = 0; j < row.length; j++) row[j] = start + j;
            tokenIndex[r] = row;
        }
        return new AdaptedCase(
                batch, tokenIndex, c.estimator(), c.preset(), GoldenInputs.params(c, Set.of(), Map.of()));
    }

    /** Number of leading ones; the rest must be zeros. */
    private static int prefixLength(float[] m, int row) {
        int n = 0;
        while (n < m.length && m[n] == 1f) n++;
        for (int j = n; j < m.length; j++) {
            if (m[j] != 0f) {
                String what = m[j] == 1f ? "a 1 after a 0" : "the value " + m[j];
                throw new IllegalArgumentException("input.response_mask[" + row + "] has " + what + " at position " + j
                        + "; the 'one row per step' layout needs each row's valid tokens first, then padding (0s)");
            }
        }
        return n;
    }
}

package dev.apportion.io.golden;

import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * A golden case turned into what apportion runs: a batch, where each padded position of the
 * case's arrays lives in it, and the estimator call.
 *
 * @param batch the rollouts
 * @param tokenIndex {@code tokenIndex[row][col]} = global token index in {@code batch} of padded
 *     position (row, col), or -1 where the position is no token
 * @param estimator estimator id to run
 * @param preset preset name, or null
 * @param params explicit parameter values for {@code Params.resolve}
 */
public record AdaptedCase(
        Rollouts batch, int[][] tokenIndex, String estimator, String preset, Map<String, Object> params) {}

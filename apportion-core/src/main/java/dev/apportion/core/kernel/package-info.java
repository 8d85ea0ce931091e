/**
 * Kernels shared by estimators of several packages; estimators call kernels, kernels never
 * call estimators, and no estimator calls a helper of another estimator.
 *
 * <ul>
 *   <li><b>Segmentation.</b> One definition of a turn: a non-empty policy span
 *       ({@link dev.apportion.core.kernel.TurnTable}). Named views and variants where the
 *       references truly differ: {@link dev.apportion.core.kernel.TurnBoundaries} (the turns by
 *       their last token — {@code POLICY_SPANS}, built from {@code TurnTable} — or IGPO's turn
 *       ends read off non-zero rewards, {@code NONZERO_REWARD}),
 *       {@link dev.apportion.core.kernel.PolicySpans} (every policy span as a row, empty ones
 *       included, with the {@code turn_index} signal: VPR and A3), and
 *       {@link dev.apportion.core.kernel.PaperSteps} (reasoning steps of the paper-level step
 *       estimators). Single-reference step rules stay beside their estimator (PURE's
 *       {@code PureSteps}, R3L's {@code R3lSteps}, A3's turns).</li>
 *   <li><b>Group statistics.</b> {@link dev.apportion.core.kernel.GroupZScores}: the group
 *       z-score conventions (verl's GRPO, unbiased/population with a floor, member-order sums);
 *       the moments themselves are {@link dev.apportion.core.stats.GroupStats}.</li>
 *   <li><b>Broadcasting.</b> {@link dev.apportion.core.stats.Broadcast} (public API, kept in
 *       {@code stats}) is the one per-trajectory and per-span broadcast.</li>
 *   <li><b>NumPy-order sums.</b> {@link dev.apportion.core.kernel.NumpySum}, float64 and
 *       float32.</li>
 *   <li><b>Backward scans.</b> {@link dev.apportion.core.kernel.BackwardScan}, the blocked
 *       first-order linear recurrence behind GAE and discounted returns.</li>
 * </ul>
 */
package dev.apportion.core.kernel;

/**
 * Outcome-level (trajectory-granularity) credit: one scalar per trajectory, computed relative
 * to its group (GRPO, Dr. GRPO, RLOO, OPO, GPG, pass@k GRPO, REINFORCE++ with baseline, DAPO),
 * laid on the trajectory's policy tokens. Each estimator reproduces the verl, OpenRLHF and TRL
 * conventions through named parameters and presets; package-private helpers hold the shared
 * group statistics ({@code GroupMoments}, {@code GroupNormalization}), the score
 * ({@code OutcomeScores}) and the token layout, including OpenRLHF's clip / KL penalty /
 * cumulative-return shaping ({@code TokenCredit}).
 */
package dev.apportion.core.estimator.trajectory;

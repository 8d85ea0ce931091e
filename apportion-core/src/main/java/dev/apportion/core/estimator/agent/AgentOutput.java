package dev.apportion.core.estimator.agent;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.kernel.StepTokens;
import dev.apportion.core.kernel.TurnTable;
import dev.apportion.core.rollout.Rollouts;

/**
 * Token outputs of the multi-agent estimators: from the caller's reused {@link Credit.Buffers}
 * when given (every element is then written), else fresh. Package-private helper.
 */
final class AgentOutput {
    private AgentOutput() {}

    /** An advantages array of the batch's token count: the buffer's when given, else fresh (zeroed). */
    static float[] advantages(Rollouts batch, Credit.Buffers buffers) {
        return buffers == null ? new float[batch.tokenCount()] : buffers.advantages(batch.tokenCount());
    }

    /** A loss-weights array of the batch's token count: the buffer's when given, else fresh (zeroed). */
    static float[] lossWeights(Rollouts batch, Credit.Buffers buffers) {
        return buffers == null ? new float[batch.tokenCount()] : buffers.lossWeights(batch.tokenCount());
    }

    /** {@code perTurn[j]} on the tokens of turn j, 0 on every other token, in one pass. */
    static float[] turns(
            Rollouts batch, TurnTable turns, double[] perTurn, Execution execution, Credit.Buffers buffers) {
        float[] out = advantages(batch, buffers);
        StepTokens.write(batch, turns, perTurn, out, execution);
        return out;
    }
}

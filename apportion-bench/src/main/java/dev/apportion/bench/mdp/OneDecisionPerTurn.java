package dev.apportion.bench.mdp;

/**
 * Rules of a task where every turn is a single decision (one token): {@link #tokensPerTurn()}
 * is 1 and every state sits at token 0 of its turn.
 *
 * @param <S> latent state type (immutable, with value equality)
 */
public interface OneDecisionPerTurn<S> extends Dynamics<S> {
    @Override
    default int tokensPerTurn() {
        return 1;
    }

    @Override
    default int tokenInTurn(S s) {
        return 0;
    }
}

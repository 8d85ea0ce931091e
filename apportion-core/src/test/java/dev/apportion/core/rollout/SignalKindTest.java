package dev.apportion.core.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** The generic signal accessor agrees with the named ones, and a missing signal of each kind is named in one message shape. */
class SignalKindTest {
    /** One trajectory of three tokens (two spans) with one signal of every kind. */
    private static Rollouts batch() {
        return Rollouts.builder()
                .trajectory("g", "t")
                .signal("baseline", 0.5)
                .span(Role.CONTEXT, 1)
                .spanSignal("step", 1)
                .span(Role.POLICY, 2)
                .spanSignal("step", 2)
                .tokenSignal("value", new float[] {1, 2, 3})
                .tokenVector("hidden", 2, new float[] {1, 2, 3, 4, 5, 6})
                .tokenMatrix("attention", new float[] {0.1f, 0.2f, 0.3f})
                .build();
    }

    @Test
    void theNamedAccessorsAreTheGenericOne() {
        Rollouts b = batch();
        assertSame(b.trajectorySignal("baseline"), b.signal(Rollouts.SignalKind.TRAJECTORY, "baseline"));
        assertSame(b.spanSignal("step"), b.signal(Rollouts.SignalKind.SPAN, "step"));
        assertSame(b.tokenSignal("value"), b.signal(Rollouts.SignalKind.TOKEN, "value"));
        assertSame(b.tokenVector("hidden"), b.signal(Rollouts.SignalKind.TOKEN_VECTOR, "hidden"));
        assertSame(b.tokenMatrix("attention"), b.signal(Rollouts.SignalKind.TOKEN_MATRIX, "attention"));
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, b.tokenVector("hidden"));
        assertArrayEquals(new float[] {0.1f, 0.2f, 0.3f}, b.tokenMatrix("attention"));
        assertEquals(Set.of("hidden"), b.tokenVectorNames());
        assertEquals(Set.of("attention"), b.tokenMatrixNames());
        assertEquals(Set.of("value"), b.tokenSignalNames());
        assertEquals(b.tokenVectorNames(), b.signalNames(Rollouts.SignalKind.TOKEN_VECTOR));
        assertNull(b.signal(Rollouts.SignalKind.TOKEN, "hidden"), "kinds do not share names");
        assertSame(b.tokenVector("hidden"), b.requireTokenVector("hidden", "delta", "the policy"));
        assertSame(b.tokenMatrix("attention"), b.requireTokenMatrix("attention", "flowtracer", "the policy"));
    }

    @Test
    void aMissingSignalIsNamedWithItsKindAndField() {
        Rollouts b = batch();
        RolloutException e = assertThrows(RolloutException.class, () -> b.requireTokenSignal("x", "gae", "the critic"));
        assertEquals(
                "estimator 'gae' needs the token signal 'x' (the critic), which the batch lacks (token_signals.x)",
                e.getMessage());
        e = assertThrows(RolloutException.class, () -> b.requireTokenVector("x", "delta", "the policy"));
        assertEquals(
                "estimator 'delta' needs the token vector signal 'x' (the policy), which the batch lacks"
                        + " (token_vectors.x)",
                e.getMessage());
        e = assertThrows(RolloutException.class, () -> b.requireTokenMatrix("x", "flowtracer", "the policy"));
        assertEquals(
                "estimator 'flowtracer' needs the token matrix signal 'x' (the policy), which the batch lacks"
                        + " (token_matrices.x)",
                e.getMessage());
        e = assertThrows(RolloutException.class, () -> b.requireTrajectorySignal("x", "rloo", "the reward model"));
        assertEquals(
                "estimator 'rloo' needs the trajectory signal 'x' (the reward model), which the batch lacks"
                        + " (signals.x)",
                e.getMessage());
        e = assertThrows(
                RolloutException.class, () -> b.requireSignal(Rollouts.SignalKind.SPAN, "x", "pure", "the PRM"));
        assertEquals(
                "estimator 'pure' needs the span signal 'x' (the PRM), which the batch lacks (spans.signals.x)",
                e.getMessage());
    }
}

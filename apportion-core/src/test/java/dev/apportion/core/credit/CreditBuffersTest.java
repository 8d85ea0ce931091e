package dev.apportion.core.credit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.apportion.core.estimator.trajectory.Grpo;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import org.junit.jupiter.api.Test;

class CreditBuffersTest {
    @Test
    void arraysAreKeptWhileTheLengthStaysTheSame() {
        Credit.Buffers b = new Credit.Buffers();
        float[] a = b.advantages(10);
        float[] r = b.returns(10);
        assertEquals(10, a.length);
        assertNotSame(a, r);
        assertSame(a, b.advantages(10));
        assertSame(r, b.returns(10));
        float[] a2 = b.advantages(11);
        assertEquals(11, a2.length);
        assertSame(a2, b.advantages(11));
        assertSame(r, b.returns(10));
    }

    /** An estimator without buffer support ignores them (the interface's default) and gives the same credit. */
    @Test
    void defaultAssignIgnoresBuffers() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 3)
                .trajectory("g", "b")
                .outcome(0)
                .span(Role.POLICY, 2)
                .build();
        Estimator buffered = new dev.apportion.core.estimator.trajectory.Opo();
        // only the three-argument assign: the four-argument one is the interface's default
        Estimator opo = new Estimator() {
            @Override
            public Descriptor descriptor() {
                return buffered.descriptor();
            }

            @Override
            public Credit assign(Rollouts batch, Params params, Execution execution) {
                return buffered.assign(batch, params, execution);
            }
        };
        Params p = Params.defaults(opo.descriptor());
        Credit.Buffers b = new Credit.Buffers();
        Credit c = opo.assign(batch, p, Execution.sequential(), b);
        assertArrayEquals(opo.assign(batch, p).advantages(), c.advantages());
        assertNotSame(b.advantages(batch.tokenCount()), c.advantages());
    }

    /** GRPO writes into the buffer and overwrites every token, context tokens included, whatever it held. */
    @Test
    void grpoWritesIntoDirtyBuffers() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.CONTEXT, 2)
                .span(Role.POLICY, 3)
                .trajectory("g", "b")
                .outcome(0)
                .span(Role.POLICY, 2)
                .span(Role.CONTEXT, 1)
                .trajectory("g", "c")
                .outcome(0.5)
                .span(Role.POLICY, 1)
                .build();
        Estimator grpo = new Grpo();
        Params p = Params.defaults(grpo.descriptor());
        Credit.Buffers b = new Credit.Buffers();
        java.util.Arrays.fill(b.advantages(batch.tokenCount()), 42f);
        Credit c = grpo.assign(batch, p, Execution.sequential(), b);
        assertSame(b.advantages(batch.tokenCount()), c.advantages());
        assertArrayEquals(grpo.assign(batch, p).advantages(), c.advantages());
    }
}

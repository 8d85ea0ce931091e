package dev.apportion.core.estimator.turn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import dev.apportion.core.testing.RandomBatches;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every turn estimator gives the same credit, bit for bit, whether it allocates its outputs or
 * writes them into reused {@link Credit.Buffers} that hold garbage (NaN) from before: every token
 * of the buffers is overwritten. Runs on each estimator's own contract batches and parameter
 * sets (taken from its {@link EstimatorContract} test), sequentially and with split ranges.
 */
class TurnBuffersTest {
    private static final List<Class<? extends EstimatorContract>> CONTRACTS = List.of(
            A2tgpoEstimatorTest.class,
            A3EstimatorTest.class,
            AemTest.class,
            ArcherTest.class,
            At2poTest.class,
            CalmTest.class,
            IgpoEstimatorTest.class,
            ItpoTest.class,
            LareTest.class,
            MapoTurnTest.class,
            MatchtirEstimatorTest.class,
            MtGrpoTest.class,
            OprlTest.class,
            PbsdTest.class,
            R3lEstimatorTest.class,
            SiopEstimatorTest.class,
            SpaRlStepRewardsTest.class,
            SpaRlTest.class,
            VprEstimatorTest.class);

    @Test
    void buffersHoldingGarbageGiveTheSameCredit() throws Exception {
        assertEquals(new TurnEstimators().estimators().size(), CONTRACTS.size(), "one contract per turn estimator");
        int checked = 0;
        for (Class<? extends EstimatorContract> type : CONTRACTS) {
            var ctor = type.getDeclaredConstructor();
            ctor.setAccessible(true);
            EstimatorContract contract = ctor.newInstance();
            Estimator est = (Estimator) call(contract, "estimator");
            @SuppressWarnings("unchecked")
            List<Params> sets = (List<Params>) call(contract, "parameterSets");
            @SuppressWarnings("unchecked")
            List<List<RandomBatches.Traj>> batches = (List<List<RandomBatches.Traj>>) call(contract, "batches");
            for (Params p : sets) {
                for (List<RandomBatches.Traj> ts : batches) {
                    Rollouts b = (Rollouts) call(contract, "build", ts);
                    Credit want = est.assign(b, p, Execution.sequential());
                    Credit.Buffers buffers = new Credit.Buffers();
                    for (int round = 0; round < 2; round++) {
                        Arrays.fill(buffers.advantages(b.tokenCount()), Float.NaN);
                        Arrays.fill(buffers.returns(b.tokenCount()), Float.NaN);
                        Credit got;
                        if (round == 0) {
                            got = est.assign(b, p, Execution.sequential(), buffers);
                        } else {
                            try (Execution ex = Execution.splittingAll(2)) {
                                got = est.assign(b, p, ex, buffers);
                            }
                        }
                        String what = est.id() + " " + p + " round " + round;
                        assertArrayEquals(want.advantages(), got.advantages(), 0f, what + ": advantages");
                        same(want.returns(), got.returns(), what + ": returns");
                        same(want.spanAdvantages(), got.spanAdvantages(), what + ": span advantages");
                        same(want.lossWeights(), got.lossWeights(), what + ": loss weights");
                        same(want.clipScales(), got.clipScales(), what + ": clip scales");
                        assertEquals(want.diagnostics(), got.diagnostics(), what + ": diagnostics");
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked > CONTRACTS.size(), "every estimator was checked");
    }

    private static void same(float[] want, float[] got, String what) {
        assertEquals(want == null, got == null, what + " present in both or neither");
        if (want != null) assertArrayEquals(want, got, 0f, what);
    }

    /** Calls a (possibly protected, possibly inherited) no-argument or one-argument method of the contract. */
    private static Object call(Object target, String name, Object... args) throws Exception {
        for (Class<?> c = target.getClass(); c != null; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                if (m.getName().equals(name) && m.getParameterCount() == args.length) {
                    m.setAccessible(true);
                    return m.invoke(target, args);
                }
            }
        }
        throw new NoSuchMethodException(name);
    }
}

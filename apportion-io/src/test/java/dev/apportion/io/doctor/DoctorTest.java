package dev.apportion.io.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.io.FakeEstimator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class DoctorTest {
    /** Two groups of four with different rewards, equal lengths, two turns each: nothing to report. */
    static Rollouts clean() {
        return clean(4);
    }

    static Rollouts clean(int turnTokens) {
        RolloutsBuilder b = Rollouts.builder();
        double[][] scores = {{1, 0, 0, 1}, {0, 1, 0.5, 0}};
        for (int g = 0; g < 2; g++) {
            for (int k = 0; k < 4; k++) {
                b.trajectory("g" + g, "t" + k).outcome(scores[g][k]);
                b.span(Role.CONTEXT, 3)
                        .span(Role.POLICY, turnTokens, Double.NaN, "s" + g + k + "a", null)
                        .span(Role.CONTEXT, 2)
                        .span(Role.POLICY, turnTokens, Double.NaN, "s" + g + k + "b", null);
            }
        }
        return b.build();
    }

    static Set<String> codes(DoctorReport r) {
        Set<String> s = new TreeSet<>();
        for (Finding f : r.findings()) s.add(f.code());
        return s;
    }

    @Test
    void cleanBatchHasNoFinding() {
        DoctorReport r = Doctor.examine(clean(), null, null);
        assertEquals(List.of(), r.findings());
        assertFalse(r.hasError());
        assertEquals(8, r.summary().get("trajectories"));
        DoctorReport withGrpo = Doctor.examine(clean(), "grpo", null);
        assertEquals(List.of(), withGrpo.findings(), () -> withGrpo.findings().toString());
    }

    @Test
    void findsEveryPlantedProblemInTheBatch() {
        RolloutsBuilder b = Rollouts.builder();
        // a normal group of four (long failures: length bias)
        double[] ok = {1, 0, 1};
        for (int k = 0; k < 3; k++) {
            b.trajectory("normal", "n" + k).outcome(ok[k]);
            b.span(Role.CONTEXT, 2).span(Role.POLICY, ok[k] > 0 ? 5 : 60);
            b.tokenSignal("response_mask", ones(ok[k] > 0 ? 7 : 62, 2));
        }
        // a singleton group
        b.trajectory("alone", "a0").outcome(1).span(Role.POLICY, 5).tokenSignal("response_mask", ones(5, 0));
        // an all-equal group, which is also partial (3 < 4)
        for (int k = 0; k < 3; k++) {
            b.trajectory("flat", "f" + k).outcome(1).span(Role.POLICY, 5).tokenSignal("response_mask", ones(5, 0));
        }
        // a near-equal group of four, with an empty turn and a policy token the mask calls observation
        double[] near = {0.5, 0.5001, 0.5, 0.5};
        for (int k = 0; k < 4; k++) {
            b.trajectory("near", "e" + k).outcome(near[k]).span(Role.POLICY, 5).span(Role.POLICY, k == 0 ? 0 : 1);
            float[] m = ones(k == 0 ? 5 : 6, 0);
            if (k == 2) m[1] = 0f;
            b.tokenSignal("response_mask", m);
        }
        // a trajectory without any policy token
        b.trajectory("normal", "n4").outcome(0).span(Role.CONTEXT, 3).tokenSignal("response_mask", new float[3]);
        Rollouts batch = b.build();
        DoctorReport r = Doctor.examine(batch, null, null);
        assertEquals(
                new TreeSet<>(List.of(
                        "singleton_groups",
                        "zero_signal_groups",
                        "near_equal_rewards",
                        "partial_groups",
                        "empty_turns",
                        "no_policy_tokens",
                        "mask_conflict",
                        "length_bias")),
                codes(r),
                r.findings().toString());
        assertTrue(r.hasError());
        Finding single = find(r, "singleton_groups");
        assertEquals("alone", single.group());
        Finding mask = find(r, "mask_conflict");
        assertEquals(Severity.ERROR, mask.severity());
        assertEquals("e2", mask.id());
        assertEquals("flat", find(r, "zero_signal_groups").group());
        assertEquals("near", find(r, "near_equal_rewards").group());
        assertEquals("e0", find(r, "empty_turns").id());
        assertEquals(Severity.ERROR, r.findings().get(0).severity(), "errors come first");
        assertEquals(Severity.INFO, find(r, "length_bias").severity(), "token-mean: length bias is information");
    }

    @Test
    void findsBrokenCredit() {
        Rollouts batch = clean();
        Estimator nan = FakeEstimator.of("nan_est", Granularity.TRAJECTORY, bt -> {
            float[] a = new float[bt.tokenCount()];
            for (int t = 0; t < a.length; t++) a[t] = bt.mask()[t];
            a[5] = Float.NaN;
            return Credit.of(a);
        });
        DoctorReport r = Doctor.examine(batch, nan, null, null);
        assertTrue(codes(r).contains("non_finite_credit"), r.findings().toString());
        assertTrue(r.hasError());

        Estimator spike = FakeEstimator.of("spike", Granularity.TRAJECTORY, bt -> {
            float[] a = new float[bt.tokenCount()];
            byte[] m = bt.mask();
            for (int t = 0; t < a.length; t++) a[t] = m[t] * ((t % 2) == 0 ? 0.01f : -0.01f);
            int last = bt.lastPolicyToken(0);
            a[last] = 100f;
            return Credit.of(a);
        });
        DoctorReport s = Doctor.examine(clean(40), spike, null, null);
        assertEquals(Set.of("exploding_advantages"), codes(s), s.findings().toString());
        assertFalse(s.hasError());

        Estimator zero = FakeEstimator.of("zero", Granularity.TRAJECTORY, bt -> Credit.of(new float[bt.tokenCount()]));
        assertEquals(Set.of("zero_credit"), codes(Doctor.examine(batch, zero, null, null)));

        Estimator flatTurns = FakeEstimator.of("flat_turns", Granularity.TURN, bt -> {
            float[] a = new float[bt.tokenCount()];
            for (int t = 0; t < a.length; t++) a[t] = bt.mask()[t];
            for (int i = 0; i < bt.trajectoryCount(); i++) {
                for (int t = bt.tokenStart(i); t < bt.tokenEnd(i); t++) a[t] *= (i % 2 == 0 ? 1 : -1);
            }
            return Credit.of(a);
        });
        assertEquals(Set.of("turn_credit_constant"), codes(Doctor.examine(batch, flatTurns, null, null)));

        Estimator refuses = FakeEstimator.of("refuses", Granularity.TRAJECTORY, bt -> {
            throw new IllegalArgumentException("needs the token signal 'value'");
        });
        DoctorReport f = Doctor.examine(batch, refuses, null, null);
        assertEquals(Set.of("estimator_cannot_run"), codes(f));
        assertTrue(f.hasError());
    }

    @Test
    void gigpoWithoutRepeatedAnchorStatesEqualsGrpo() {
        DoctorReport r = Doctor.examine(clean(), "gigpo", null);
        Finding inert = find(r, "inert_term");
        assertTrue(inert.message().contains("no anchor state repeats"), inert.message());
        assertNull(inert.group());
    }

    @Test
    void severityIsWrittenInLowerCase() {
        assertEquals("warning", Severity.WARNING.toString());
        assertEquals("error", Severity.ERROR.wireName());
        try {
            String json =
                    dev.apportion.io.Json.mapper().writeValueAsString(new Finding(Severity.INFO, "c", "m", null, null));
            assertTrue(json.contains("\"severity\":\"info\""), json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    static Finding find(DoctorReport r, String code) {
        for (Finding f : r.findings()) if (f.code().equals(code)) return f;
        throw new AssertionError("no finding " + code + " in " + r.findings());
    }

    static float[] ones(int n, int zerosFirst) {
        float[] m = new float[n];
        for (int k = zerosFirst; k < n; k++) m[k] = 1f;
        return m;
    }
}

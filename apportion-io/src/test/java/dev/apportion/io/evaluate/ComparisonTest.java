package dev.apportion.io.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.rollout.Rollouts;
import org.junit.jupiter.api.Test;

class ComparisonTest {
    @Test
    void handComputed() {
        Rollouts b = EvaluationTest.batch(); // 7 one-token policy spans: A (3), B (2), C (2)
        Credit x = Credit.of(new float[] {1, 2, 3, 4, 5, 6, 7});
        Credit y = Credit.of(new float[] {1, 2, 3, 4, 5, 7, -6});
        Comparison.Pair p = Comparison.compare(b, "x", x, "y", y, 2);
        // ranks of y: 2,3,4,5,6,7,1 vs x 1..7: d = 1,1,1,1,1,1,-6; sum d^2 = 42; rho = 1 - 6*42/(7*48) = 0.25
        assertEquals(0.25, p.spearman(), 1e-12);
        assertEquals(1.0 / 7, p.signDisagreement(), 1e-12, "one token of seven changes sign");
        assertEquals(7, p.turns());
        assertEquals("C", p.topTurns().get(0).id());
        assertEquals(1, p.topTurns().get(0).policySpan());
        assertEquals(6.0 / 7, p.topTurns().get(0).rankGap(), 1e-12);
        assertEquals("C", p.topTrajectories().get(0).id());
        assertEquals((1.0 / 7 + 6.0 / 7) / 2, p.topTrajectories().get(0).meanRankGap(), 1e-12);
        assertEquals(2, p.topTrajectories().size());
    }
}

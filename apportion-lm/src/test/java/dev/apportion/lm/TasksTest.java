package dev.apportion.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TasksTest {
    @Test
    void calculatorFollowsPrecedenceAndRejectsGarbage() {
        assertEquals(3 * 5 + 7, Calculator.eval("3*5+7"));
        assertEquals(2 - 3 * 4 + 1, Calculator.eval("2-3*4+1"));
        assertEquals(1081, Calculator.eval("23*47"));
        assertThrows(IllegalArgumentException.class, () -> Calculator.eval("3+"));
        assertThrows(IllegalArgumentException.class, () -> Calculator.eval("a"));
        assertThrows(IllegalArgumentException.class, () -> Calculator.eval("99999999999*99999999999"));
    }

    @Test
    void demonstrationsVerify() {
        SplittableRandom r = new SplittableRandom(11);
        for (String name : new String[] {"addition", "reversal", "countdown", "tool"}) {
            Task t = Task.named(name, 0);
            for (int k = 0; k < 200; k++) {
                Task.Problem p = t.sample(r);
                String last = p.demonstration().get(p.demonstration().size() - 1);
                assertEquals(1.0, t.score(p, last), name + " " + p);
            }
        }
    }

    @Test
    void countdownVerifierChecksNumbersAndValue() {
        Task t = Task.named("countdown", 3);
        Task.Problem p = new Task.Problem("c:3,5,7>22=", "22", java.util.List.of("3*5+7"));
        assertEquals(1.0, t.score(p, "3*5+7"));
        assertEquals(1.0, t.score(p, "7+5*3"));
        assertEquals(0.0, t.score(p, "3*5+7+0"), "0 is not among the numbers");
        assertEquals(0.0, t.score(p, "5*5-3"), "5 used twice");
        assertEquals(0.0, t.score(p, "3*5+5"), "wrong value");
        assertEquals(0.0, t.score(p, "35-13"), "multi-digit numbers are not allowed");
    }

    @Test
    void toolObservationsAndDemonstrationEpisodeRoles() {
        Task t = Task.named("tool", 2);
        assertEquals("1081;", t.observe("23*47"));
        assertEquals("err;", t.observe("23*"));
        Task.Problem p = new Task.Problem("t:23*47+5=", "1086", java.util.List.of("[23*47]", "1081;", "1086"));
        Episode e = Episode.demonstration(0, p, 48);
        assertEquals("t:23*47+5=[23*47]1081;1086<eos>", e.text());
        StringBuilder roles = new StringBuilder();
        for (int k = 1; k < e.length(); k++) roles.append(e.isPolicy(k) ? 'P' : 'c');
        assertEquals("cccccccccc" + "PPPPPPP" + "ccccc" + "PPPPP", roles.toString());
        assertEquals("1086", e.finalAnswer());
        assertEquals(2, BranchingOracle.turnStarts(e).length);
    }
}

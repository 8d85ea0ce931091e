package dev.apportion.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.RandomBatches;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link PaperSteps#of} (every policy span) and {@link TurnTable#of} (non-empty policy spans) select
 * exactly the spans a span-by-span reference selects, in batch order, with the right trajectory
 * offsets — on random batches and on one with empty policy spans, context-only trajectories and a
 * trajectory without spans.
 */
class SpanIndexTest {
    @Test
    void stepsAndTurnsMatchAReferenceSelection() {
        List<Rollouts> batches = new ArrayList<>();
        batches.add(withEmptySpans());
        for (long seed = 1; seed <= 8; seed++) {
            batches.add(RandomBatches.build(RandomBatches.trajectories(
                    seed, new RandomBatches.Options(4, 1, 6, seed % 2 == 0, true, true, true))));
        }
        for (int b = 0; b < batches.size(); b++) {
            Rollouts batch = batches.get(b);
            check(batch, PaperSteps.of(batch), false, "steps, batch " + b);
            TurnTable turns = TurnTable.of(batch);
            check(batch, turns, true, "turns, batch " + b);
            assertEquals(expected(batch, true, null), turns.size(), "turn count, batch " + b);
        }
    }

    /**
     * {@link TurnTable#agentIds}: names numbered in order of first appearance, equal names one id
     * whether or not they are the same object, -1 without an agent; more agents than the identity
     * cache holds.
     */
    @Test
    void agentIdsNumberNamesByFirstAppearance() {
        dev.apportion.core.rollout.RolloutsBuilder b = Rollouts.builder();
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int i = 0; i < 12; i++) {
            b.trajectory("g" + (i % 3), "t" + i).outcome(i % 2);
            for (int k = 0; k < 9; k++) {
                int pick = r.nextInt(14);
                // a fresh String object for the same name half of the time
                String agent = pick == 13 ? null : (r.nextBoolean() ? new String("agent" + pick) : AGENTS[pick]);
                b.span(Role.POLICY, 1 + r.nextInt(3), Double.NaN, null, agent);
                if (k % 3 == 2) b.span(Role.CONTEXT, 2);
            }
        }
        Rollouts batch = b.build();
        TurnTable turns = TurnTable.of(batch);
        List<String> names = new ArrayList<>();
        int[] ids = turns.agentIds(batch, names);
        List<String> wantNames = new ArrayList<>();
        for (int j = 0; j < turns.size(); j++) {
            String a = batch.spanAgent()[turns.span(j)];
            int want = a == null ? -1 : wantNames.indexOf(a);
            if (a != null && want < 0) {
                want = wantNames.size();
                wantNames.add(a);
            }
            assertEquals(want, ids[j], "agent id of turn " + j);
        }
        assertEquals(wantNames, names);
        assertEquals(true, names.size() > 8, "more agents than the identity cache");
    }

    private static final String[] AGENTS = new String[13];

    static {
        for (int k = 0; k < AGENTS.length; k++) AGENTS[k] = "agent" + k;
    }

    private static void check(Rollouts batch, SpanTable table, boolean nonEmptyOnly, String what) {
        assertEquals(batch.trajectoryCount(), table.trajectoryCount(), what);
        List<int[]> want = new ArrayList<>();
        expected(batch, nonEmptyOnly, want);
        int k = 0;
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            assertEquals(k, table.start(i), what + ": start of trajectory " + i);
            for (int[] e : want) {
                if (e[1] != i) continue;
                assertEquals(e[0], table.span(k), what + ": span of entry " + k);
                assertEquals(i, table.trajectory(k), what + ": trajectory of entry " + k);
                k++;
            }
            assertEquals(k, table.end(i), what + ": end of trajectory " + i);
        }
        assertEquals(want.size(), k, what + ": entry count");
    }

    /** The selection span by span: {span, trajectory} pairs in batch order; returns their number. */
    private static int expected(Rollouts batch, boolean nonEmptyOnly, List<int[]> out) {
        int count = 0;
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                boolean take = batch.spanRole(s) == Role.POLICY
                        && (!nonEmptyOnly || batch.spanTokenEnd(s) - batch.spanTokenStart(s) > 0);
                if (!take) continue;
                count++;
                if (out != null) out.add(new int[] {s, i});
            }
        }
        return count;
    }

    private static Rollouts withEmptySpans() {
        return Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1.0)
                .span(Role.CONTEXT, 2)
                .span(Role.POLICY, 3)
                .span(Role.POLICY, 0)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 1)
                .trajectory("g", "b")
                .outcome(0.0)
                .span(Role.CONTEXT, 4)
                .trajectory("g", "c")
                .outcome(0.5)
                .span(Role.POLICY, 0)
                .span(Role.POLICY, 2)
                .span(Role.CONTEXT, 0)
                .span(Role.POLICY, 0)
                .build();
    }
}

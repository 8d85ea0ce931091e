package dev.apportion.core.estimator.turn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class A3EstimatorTest extends EstimatorContract {
    private static final A3Estimator A3 = new A3Estimator();

    @Override
    protected Estimator estimator() {
        return A3;
    }

    @Override
    protected List<Params> parameterSets() {
        List<Params> out = new ArrayList<>(super.parameterSets());
        out.add(params(Map.of(
                "intent_scopes",
                List.of(1.0, 2.0, -1.0),
                "w_intent_scopes",
                List.of(0.5, 0.25, 0.25),
                "A3_algo_tree_intent_match_tau",
                0.3,
                "A3_algo_tree_bucket_time_decay",
                0.85,
                "trie_min_count",
                3)));
        return out;
    }

    private static Params params(Map<String, ?> values) {
        return Params.resolve(A3.descriptor(), null, values);
    }

    /** A trajectory whose turns issue the given commands; one token per character, a context token after each turn. */
    private static void traj(RolloutsBuilder b, String group, String id, double reward, String... commands) {
        b.trajectory(group, id).outcome(reward);
        List<String> text = new ArrayList<>();
        for (String cmd : commands) {
            String response = "Let me run it.\n<code>\n" + cmd + "\n</code>";
            response.codePoints().forEach(cp -> text.add(new String(Character.toChars(cp))));
            b.span(Role.POLICY, (int) response.codePoints().count()).span(Role.CONTEXT, 1);
            text.add("<obs>");
        }
        b.tokenText(text.toArray(new String[0]));
    }

    /** methods-agentic.md §10: group scores [3.0, 0.6, 0.2, 0.0] → backbone [1.0000, 0.6640, 0.0, −0.3799]. */
    @Test
    void backboneOfTheNotes() {
        RolloutsBuilder b = Rollouts.builder();
        double[] scores = {3.0, 0.6, 0.2, 0.0};
        for (int i = 0; i < 4; i++) traj(b, "p", "t" + i, scores[i], "cmd" + i);
        A3Estimator.Components c = A3.components(b.build(), params(Map.of()), Execution.sequential());
        double[] want = {1.0000, 0.6640, 0.0, -0.3799};
        for (int i = 0; i < 4; i++) assertEquals(want[i], c.backbone()[i], 1e-4);
    }

    /** methods-agentic.md §10: shrink for n_a = 2 is 2/2.1; child 0.5 vs parent 0.25 gives gain 0.2381. */
    @Test
    void treeShrinkAndGainOfTheNotes() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "p", "a0", 0.5, "ls -la");
        traj(b, "p", "a1", 0.5, "ls -la");
        traj(b, "p", "b0", 0.0, "cat notes.txt");
        traj(b, "p", "b1", 0.0, "cat notes.txt");
        A3Estimator.Components c = A3.components(b.build(), params(Map.of()), Execution.sequential());
        double shrink = 2 / (2 + 0.1 + 1e-6);
        assertEquals(0.9524, shrink, 1e-4);
        assertArrayEquals(new double[] {shrink, shrink, shrink, shrink}, c.treeSupport(), 1e-12);
        assertEquals(0.2381, c.treeReturn()[0], 1e-4);
        assertEquals(-0.2381, c.treeReturn()[2], 1e-4);
        // identical commands cluster together: the leave-one-out mean of each is its twin's score
        assertArrayEquals(new double[] {0, 0, 0, 0}, c.trieResidual(), 1e-12);
    }

    /**
     * Turn 0 (three trajectories, trie_min_count 3: one cluster) has a single action, so no
     * gain; turn 1 splits {t0, t1} ("make test") from t2 ("rm -rf build"). t3 starts at turn 1,
     * so its empty prefix puts it in another state. The turn-0 return is the discounted turn-1 gain.
     */
    @Test
    void treeReturnIsDiscountedBackwardsOverTurnIndex() {
        RolloutsBuilder b = Rollouts.builder();
        trajAt(b, "t0", 1.0, new int[] {0, 1}, "ls", "make test");
        trajAt(b, "t1", 1.0, new int[] {0, 1}, "ls", "make test");
        trajAt(b, "t2", 0.0, new int[] {0, 1}, "ls", "rm -rf build");
        trajAt(b, "t3", 1.0, new int[] {1}, "make test");
        Params p = params(Map.of("intent_scopes", List.of(1.0), "w_intent_scopes", List.of(1.0), "trie_min_count", 3));
        A3Estimator.Components c = A3.components(b.build(), p, Execution.sequential());
        double shrink2 = 2 / (2 + 0.1 + 1e-6);
        double shrink1 = 1 / (1 + 0.1 + 1e-6);
        double gain = shrink2 * (1.0 - 2.0 / 3.0);
        assertEquals(gain, c.treeReturn()[1], 1e-12, "turn 1 of t0");
        assertEquals(0.9 * gain, c.treeReturn()[0], 1e-12, "turn 0 of t0: the discounted turn-1 gain");
        assertEquals(0.9 * shrink2, c.treeSupport()[0], 1e-12);
        assertEquals(shrink1 * (0.0 - 2.0 / 3.0), c.treeReturn()[5], 1e-12, "turn 1 of t2");
        assertEquals(0.0, c.treeReturn()[6], 0.0, "t3 is alone in its state");
        assertEquals(0.0, c.treeSupport()[6], 0.0);
    }

    private static void trajAt(RolloutsBuilder b, String id, double reward, int[] turns, String... commands) {
        b.trajectory("p", id).outcome(reward);
        List<String> text = new ArrayList<>();
        for (int k = 0; k < commands.length; k++) {
            String response = "<code>" + commands[k] + "</code>";
            response.codePoints().forEach(cp -> text.add(new String(Character.toChars(cp))));
            b.span(Role.POLICY, (int) response.codePoints().count()).spanSignal(VprEstimator.TURN_INDEX, turns[k]);
        }
        b.tokenText(text.toArray(new String[0]));
    }

    /**
     * The tree's states need the same earlier intent history: at turn 1, A and B (first command
     * {@code ls}) and C and D ({@code pwd x y}) differ at turn 0 in every scope, so they form two
     * states, {A, B} with rewards 1, 0 and {C, D} with rewards 1, 1; within each, {@code cat a} and
     * {@code cat b} are separate action buckets. C and D thus gain nothing (their state's mean is
     * theirs), while one state of all four (parent 0.75) would give them ±0.25·shrink.
     */
    @Test
    void treeStatesSplitOnEarlierIntentLabels() {
        RolloutsBuilder b = Rollouts.builder();
        trajAt(b, "A", 1.0, new int[] {0, 1}, "ls", "cat a");
        trajAt(b, "B", 0.0, new int[] {0, 1}, "ls", "cat b");
        trajAt(b, "C", 1.0, new int[] {0, 1}, "pwd x y", "cat a");
        trajAt(b, "D", 1.0, new int[] {0, 1}, "pwd x y", "cat b");
        A3Estimator.Components c = A3.components(b.build(), params(Map.of()), Execution.sequential());
        double shrink = 1 / (1 + 0.1 + 1e-6);
        // rows: A0, A1, B0, B1, C0, C1, D0, D1; the last turn's return is its own gain
        assertEquals(0.5 * shrink, c.treeReturn()[1], 1e-12);
        assertEquals(-0.5 * shrink, c.treeReturn()[3], 1e-12);
        assertEquals(0.0, c.treeReturn()[5], 1e-12);
        assertEquals(0.0, c.treeReturn()[7], 1e-12);
        assertEquals(shrink, c.treeSupport()[7], 1e-12);
    }

    @Test
    void creditIsTheBoundedFusionOnEveryTurnToken() {
        RolloutsBuilder rb = Rollouts.builder();
        traj(rb, "p", "t0", 3.0, "ls -la", "cat a");
        traj(rb, "p", "t1", 0.0, "ls -la", "wc -l a");
        traj(rb, "p", "t2", 0.5, "grep x a");
        traj(rb, "q", "u0", 0.0, "ls");
        Rollouts b = rb.build();
        Credit c = A3.assign(b);
        A3Estimator.Components comp = A3.components(b, params(Map.of()), Execution.sequential());
        for (int k = 0; k < comp.spans().length; k++) {
            int s = comp.spans()[k];
            assertTrue(Math.abs(comp.scalarAdvantage()[k]) <= 1.1);
            for (int t = b.spanTokenStart(s); t < b.spanTokenEnd(s); t++)
                assertEquals((float) comp.scalarAdvantage()[k], c.advantages()[t]);
            assertEquals((float) comp.scalarAdvantage()[k], c.spanAdvantages()[s]);
        }
        assertSame(c.advantages(), c.returns());
        assertEquals(comp.maeBackbone(), c.diagnostics().get("merge_mae_backbone"));
        assertEquals(6.0, c.diagnostics().get("turns"));
    }

    /**
     * Four trajectories issue the same command at turn 0, so the cut into k* = 2 clusters is a
     * tie (the reference then depends on PYTHONHASHSEED); apportion breaks it by trajectory id,
     * whatever the batch order.
     */
    @Test
    void tiedCutsAreBrokenByTrajectoryIdNotBatchOrder() {
        double[] reward = {0.0, 0.5, 3.0, 0.25};
        List<Integer> order = new ArrayList<>(List.of(0, 1, 2, 3));
        float[] reference = null;
        for (int rep = 0; rep < 5; rep++) {
            RolloutsBuilder b = Rollouts.builder();
            for (int i : order) traj(b, "p", "t" + i, reward[i], "ls -la");
            Rollouts batch = b.build();
            A3Estimator.Components c = A3.components(batch, params(Map.of()), Execution.sequential());
            float[] byId = new float[4];
            for (int k = 0; k < 4; k++) byId[order.get(k)] = (float) c.trieResidual()[k]; // one turn per trajectory
            if (reference == null) {
                reference = byId;
                // pairs in id order, all at distance 0: (t0,t1) then (t0,t2) merge, leaving {t0,t1,t2} and {t3}
                assertArrayEquals(
                        new float[] {(float) (0.0 - 1.75), (float) (0.5 - 1.5), (float) (3.0 - 0.25), 0f}, byId, 1e-6f);
            } else {
                assertArrayEquals(reference, byId, 1e-6f, "order " + order);
            }
            Collections.shuffle(order, new Random(rep));
        }
    }

    @Test
    void customSignaturePlugsIn() {
        A3Estimator byVerb =
                new A3Estimator(bash -> bash.isEmpty() ? new String[0] : new String[] {bash.split(" ")[0]}, "verb");
        RolloutsBuilder rb = Rollouts.builder();
        traj(rb, "p", "t0", 1.0, "ls a");
        traj(rb, "p", "t1", 0.0, "ls b");
        traj(rb, "p", "t2", 0.5, "cat c");
        traj(rb, "p", "t3", 0.5, "cat d");
        Rollouts b = rb.build();
        Params p = Params.defaults(byVerb.descriptor());
        assertEquals("verb", p.getString("intent_signature"));
        A3Estimator.Components c = byVerb.components(b, p, Execution.sequential());
        // by verb, {t0,t1} and {t2,t3} cluster: residual = R - twin's score
        assertArrayEquals(new double[] {1.0, -1.0, 0.0, 0.0}, c.trieResidual(), 1e-9); // weights W/(ΣW + 1e-12)
        assertThrows(
                IllegalArgumentException.class,
                () -> Params.resolve(
                        byVerb.descriptor(), null, Map.of("intent_signature", A3Estimator.WHITESPACE_SPLIT)));
    }

    @Test
    void tokenTextAndRewardsAreRequired() {
        RolloutsBuilder rb = Rollouts.builder();
        rb.trajectory("p", "t").outcome(1.0).span(Role.POLICY, 2);
        RolloutException e = assertThrows(RolloutException.class, () -> A3.assign(rb.build()));
        assertTrue(e.getMessage().contains("text"), e.getMessage());
        RolloutsBuilder nr = Rollouts.builder();
        nr.trajectory("p", "t").span(Role.POLICY, 1).tokenText(new String[] {"x"});
        e = assertThrows(RolloutException.class, () -> A3.assign(nr.build()));
        assertTrue(e.getMessage().contains("episode reward"), e.getMessage());
    }

    @Test
    void badScopeParametersAreRefused() {
        RolloutsBuilder rb = Rollouts.builder();
        traj(rb, "p", "t", 1.0, "ls");
        Rollouts b = rb.build();
        assertThrows(
                IllegalArgumentException.class, () -> A3.assign(b, params(Map.of("intent_scopes", List.of(1.0, 2.0)))));
        assertThrows(
                IllegalArgumentException.class,
                () -> A3.assign(b, params(Map.of("intent_scopes", List.of(1.5, 2, 3, -1)))));
    }

    @Test
    void emptyTurnsAndBatchesWithoutTurns() {
        RolloutsBuilder rb = Rollouts.builder();
        rb.trajectory("p", "t")
                .outcome(1.0)
                .span(Role.POLICY, 0)
                .span(Role.CONTEXT, 1)
                .tokenText(new String[] {"obs"});
        A3Estimator.Components c = A3.components(rb.build(), params(Map.of()), Execution.sequential());
        assertArrayEquals(new String[] {""}, c.bash());
        RolloutsBuilder none = Rollouts.builder();
        none.trajectory("p", "t").outcome(1.0).span(Role.CONTEXT, 2);
        Credit credit = A3.assign(none.build());
        assertArrayEquals(new float[2], credit.advantages());
    }

    // ---- text helpers --------------------------------------------------------------------

    @Test
    void bashExtractionMatchesTheReferenceRegex() {
        assertEquals("jq .id s.json", A3Text.bash("I will look.\n<code>\njq .id s.json\n</code>"));
        assertEquals("ls", A3Text.bash("<CODE> ls </Code> and <code>pwd</code>"));
        assertEquals("", A3Text.bash("<code>\n  \n</code>"));
        assertEquals("<answer>42</answer>", A3Text.bash("  <answer>42</answer>\n"));
        assertEquals("<code>ls", A3Text.bash("<code>ls"), "no closing tag: the whole text");
        assertEquals(
                "a\u00a0b",
                A3Text.bash("\u00a0<code>\u2003a\u00a0b\u001c</code>"),
                "Python whitespace includes NBSP and U+001C");
        assertEquals("", A3Text.bash(""));
        String longText = "x".repeat(9000);
        assertEquals(8192, A3Text.bash(longText).length());
    }

    /**
     * The registered estimator builds snippet signatures by concatenating turn signatures; the
     * same split plugged in as a custom signature takes the join-then-split path. Random groups
     * with repeated, empty and multi-word commands give bit-identical components.
     */
    @Test
    void concatenatedSignaturesEqualJoinedThenSplit() {
        A3Estimator joined = new A3Estimator(A3Text::whitespaceSplit, A3Estimator.WHITESPACE_SPLIT);
        String[] words = {"ls", "cat a", "grep -n x f", "", "cd /tmp && ls", "echo  two   spaces", "ls"};
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int trial = 0; trial < 20; trial++) {
            RolloutsBuilder b = Rollouts.builder();
            for (int g = 0; g < 3; g++) {
                for (int i = 0; i < 2 + r.nextInt(6); i++) {
                    String[] cmds = new String[1 + r.nextInt(6)];
                    for (int q = 0; q < cmds.length; q++) cmds[q] = words[r.nextInt(words.length)];
                    traj(b, "g" + g, "t" + g + "_" + i, r.nextInt(3) * 0.5, cmds);
                }
            }
            Rollouts batch = b.build();
            for (Params p : parameterSets()) {
                A3Estimator.Components x = A3.components(batch, p, Execution.sequential());
                A3Estimator.Components y = joined.components(batch, p, Execution.sequential());
                assertArrayEquals(y.trieResidual(), x.trieResidual());
                assertArrayEquals(y.treeReturn(), x.treeReturn());
                assertArrayEquals(y.treeSupport(), x.treeSupport());
                assertArrayEquals(y.scalarAdvantage(), x.scalarAdvantage());
            }
        }
    }

    /** Word ids read from characters name exactly the words of Python's split: equal words, equal ids. */
    @Test
    void wordIdsFollowTheWhitespaceSplit() {
        String[] pieces = {
            "ls", "-l", " ", "\n", "\u00a0", "\u2003", "\u001c", "cat", "a.txt", "\ud83d\ude00", "x", "", "\t"
        };
        java.util.SplittableRandom r = new java.util.SplittableRandom(9);
        A3Text.WordIds ids = new A3Text.WordIds();
        for (int round = 0; round < 6; round++) {
            ids.clear();
            java.util.Map<Integer, String> wordOf = new java.util.HashMap<>();
            java.util.Map<String, Integer> idOf = new java.util.HashMap<>();
            for (int text = 0; text < 50; text++) {
                StringBuilder sb = new StringBuilder();
                for (int q = r.nextInt(30); q > 0; q--) sb.append(pieces[r.nextInt(pieces.length)]);
                String str = sb.toString();
                String[] want = A3Text.whitespaceSplit(str);
                char[] chars = ("##" + str + "#").toCharArray();
                int n = ids.split(chars, 2, 2 + str.length());
                assertEquals(want.length, n, str);
                for (int j = 0; j < n; j++) {
                    int id = ids.ids()[j];
                    String prior = wordOf.putIfAbsent(id, want[j]);
                    assertEquals(prior == null ? want[j] : prior, want[j], "one id, one word");
                    Integer priorId = idOf.putIfAbsent(want[j], id);
                    assertEquals(priorId == null ? id : priorId, id, "one word, one id");
                }
            }
        }
    }

    /** Without a code block the scanner keeps 8192 code points of the stripped text, surrogate pairs whole. */
    @Test
    void scannerCutsLongPlainTextsByCodePoints() {
        java.util.List<String> tokens = new java.util.ArrayList<>();
        tokens.add("  ");
        for (int i = 0; i < 5000; i++) tokens.add(i % 3 == 0 ? "\ud83d\ude00" : "ab");
        String[] t = tokens.toArray(new String[0]);
        String joined = String.join("", t);
        String want = A3Text.bash(joined);
        assertEquals(8192, want.codePointCount(0, want.length()));
        assertEquals(want, A3Text.bash(t, 0, t.length, new A3Text.Scanner()));
    }

    @Test
    void bashOfTokensEqualsBashOfTheJoinedText() {
        String[] pieces = {
            "<code>",
            "</code>",
            "<CoDe>",
            "</CODE",
            ">",
            "<",
            "/",
            "code",
            "ls -l",
            " ",
            "\n",
            "x",
            "<c",
            "ode>",
            "</co",
            "de>",
            "\u00a0",
            "\u2003",
            "cat a.txt"
        };
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        A3Text.Scanner scratch = new A3Text.Scanner();
        for (int trial = 0; trial < 5000; trial++) {
            int n = r.nextInt(12);
            String[] tokens = new String[n + 2];
            StringBuilder joined = new StringBuilder();
            for (int q = 1; q <= n; q++) {
                if (r.nextInt(10) == 0) continue; // a null token
                String piece = pieces[r.nextInt(pieces.length)];
                // split some pieces further, so that tags straddle tokens
                tokens[q] = piece;
                joined.append(piece);
            }
            String want = A3Text.bash(joined.toString());
            assertEquals(want, A3Text.bash(tokens, 1, n + 1, scratch), () -> java.util.Arrays.toString(tokens));
        }
    }

    @Test
    void whitespaceSplitAndDistance() {
        assertArrayEquals(new String[] {"tr", "-d", "'", "'"}, A3Text.whitespaceSplit(" tr\t-d ' '\n"));
        assertArrayEquals(new String[0], A3Text.whitespaceSplit(" \n "));
        assertEquals(0.0, A3Text.distance(new String[0], new String[0]));
        assertEquals(1.0, A3Text.distance(new String[] {"ls"}, new String[0]));
        assertEquals(
                0.25,
                A3Text.distance(new String[] {"grep", "-n", "WARN", "a"}, new String[] {"grep", "-n", "ERROR", "a"}));
        assertEquals(3, A3Text.levenshtein(new String[] {"a", "b", "c"}, new String[] {"b", "c", "d", "e"}));
    }

    @Test
    void numpySumIsPairwise() {
        double[] v = new double[20];
        for (int i = 0; i < v.length; i++) v[i] = Math.pow(0.84, i);
        double seq = 0;
        for (double x : v) seq += x;
        assertEquals(seq, dev.apportion.core.kernel.NumpySum.of(v, 0, v.length), 1e-12);
        assertEquals(0.0, dev.apportion.core.kernel.NumpySum.of(v, 0, 0));
        assertArrayEquals(new int[] {1, 3, 0, 2}, A3Estimator.stableOrder(new double[] {0.5, 0.1, 0.5, 0.2}));
    }
}

package dev.apportion.core.estimator.step;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.GoldenJson;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The gigpo golden cases of {@code verl-and-gigpo.jsonl} (copied from the shared golden folder;
 * produced by running verl-agent@29e3e8b {@code gigpo/core_gigpo.py} on CPU float32), built
 * with the "one row per step" adapter of the golden-case contract (the io module's
 * {@code GigpoStepAdapter} does the same for the conformance runner; core cannot use it). It reads
 * only what gigpo cases need; the JSON plumbing is {@link GoldenJson}'s.
 */
class GigpoGoldenTest {
    private static final String RESOURCE = "/golden/verl-and-gigpo.jsonl";
    private static final int EXPECTED_CASES = 24;

    /** A case turned into a batch. */
    record Case(
            String name,
            Rollouts batch,
            int[][] tokenIndex,
            double[][] mask,
            Map<String, Object> params,
            JsonNode expected,
            double atol,
            double rtol) {}

    static List<Case> cases() {
        return GoldenJson.read(
                RESOURCE, (c, lineNo) -> Gigpo.ID.equals(c.path("estimator").asText()) ? build(c, lineNo) : null);
    }

    /** The gigpo adapter: trajectories by traj_index (first appearance), one policy + one context span per row. */
    static Case build(JsonNode c, int lineNo) {
        String name = c.path("case").asText("line " + lineNo);
        JsonNode in = c.get("input");
        JsonNode rewards = in.get("token_level_rewards");
        double[][] mask = GoldenJson.matrix(in.get("response_mask"));
        int rows = mask.length;
        int width = rows == 0 ? 0 : mask[0].length;
        int[] valid = new int[rows];
        for (int row = 0; row < rows; row++) {
            valid[row] = GoldenJson.prefixLength(mask[row], name + ": row " + row + " mask");
        }
        Map<String, List<Integer>> byTraj = GoldenJson.groupRows(GoldenJson.strings(in.get("traj_index")));
        RolloutsBuilder b = Rollouts.builder();
        int[][] tokenIndex = new int[rows][width];
        int token = 0;
        for (Map.Entry<String, List<Integer>> t : byTraj.entrySet()) {
            List<Integer> rs = t.getValue();
            String group = in.get("index").get(rs.get(0)).asText();
            b.trajectory(group, t.getKey());
            float[] tr = new float[rs.size() * width];
            int k = 0;
            for (int row : rs) {
                if (!in.get("index").get(row).asText().equals(group)) {
                    throw new IllegalArgumentException(name + ": trajectory " + t.getKey() + " spans two groups");
                }
                JsonNode obs = in.get("anchor_obs").get(row);
                String state = obs.isTextual() ? obs.asText() : obs.toString();
                b.span(
                        Role.POLICY,
                        valid[row],
                        in.get("step_env_rewards").get(row).asDouble(),
                        state,
                        null);
                b.span(Role.CONTEXT, width - valid[row]);
                for (int col = 0; col < width; col++) {
                    tr[k++] = (float) rewards.get(row).get(col).asDouble();
                    tokenIndex[row][col] = token++;
                }
            }
            b.tokenSignal(Rollouts.REWARD, tr);
        }
        Map<String, Object> params = new LinkedHashMap<>();
        c.get("params").fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            params.put(
                    e.getKey(),
                    v.isNumber() ? (Object) v.asDouble() : v.isBoolean() ? (Object) v.asBoolean() : v.asText());
        });
        return new Case(
                name,
                b.build(),
                tokenIndex,
                mask,
                params,
                c.get("expected"),
                c.path("atol").asDouble(1e-5),
                c.path("rtol").asDouble(1e-4));
    }

    @Test
    void allPublishedGigpoCasesAreRead() {
        assertEquals(EXPECTED_CASES, cases().size());
    }

    @TestFactory
    List<DynamicTest> goldenCasesMatchTheReference() {
        Estimator gigpo = EstimatorRegistry.global().get(Gigpo.ID);
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases()) {
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                Params p = Params.resolve(gigpo.descriptor(), null, c.params());
                if (c.expected().has("error")) {
                    assertThrows(IllegalArgumentException.class, () -> gigpo.assign(c.batch(), p));
                    return;
                }
                Credit credit = gigpo.assign(c.batch(), p);
                compare(c, "advantages", credit.advantages(), true);
                if (c.expected().has("returns")) {
                    assertNotNull(credit.returns(), c.name() + ": the reference gives returns");
                    compare(c, "returns", credit.returns(), false);
                }
            }));
        }
        return tests;
    }

    private static void compare(Case c, String what, float[] got, boolean zeroOffMask) {
        JsonNode want = c.expected().get(what);
        for (int row = 0; row < c.mask().length; row++) {
            for (int col = 0; col < c.mask()[row].length; col++) {
                float g = got[c.tokenIndex()[row][col]];
                if (c.mask()[row][col] != 0) {
                    double w = want.get(row).get(col).asDouble();
                    if (!GoldenJson.close(w, g, c.atol(), c.rtol())) {
                        fail(c.name() + ": " + what + "[" + row + "][" + col + "] want " + w + " got " + g);
                    }
                } else if (zeroOffMask && g != 0f) {
                    fail(c.name() + ": " + what + "[" + row + "][" + col + "] is off the mask but got " + g);
                }
            }
        }
    }
}

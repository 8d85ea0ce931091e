package dev.apportion.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.core.credit.EstimatorRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** import, evaluate, doctor and compare through the command line. */
class RealTrajectoriesCommandsTest {
    @TempDir
    Path tmp;

    static final String CHAT = ""
            + "{\"group\":\"q\",\"id\":\"a\",\"outcome\":1,\"messages\":[{\"role\":\"user\",\"content\":\"Find x.\"},"
            + "{\"role\":\"assistant\",\"content\":\"search x\",\"label\":1},{\"role\":\"tool\",\"content\":\"x is 3\"},"
            + "{\"role\":\"assistant\",\"content\":\"x = 3\",\"label\":1}]}\n"
            + "{\"group\":\"q\",\"id\":\"b\",\"outcome\":0,\"messages\":[{\"role\":\"user\",\"content\":\"Find x.\"},"
            + "{\"role\":\"assistant\",\"content\":\"search x\",\"label\":1},{\"role\":\"tool\",\"content\":\"x is 3\"},"
            + "{\"role\":\"assistant\",\"content\":\"x = 4\",\"label\":-1}]}\n"
            + "{\"group\":\"q\",\"id\":\"c\",\"outcome\":0,\"messages\":[{\"role\":\"user\",\"content\":\"Find x.\"},"
            + "{\"role\":\"assistant\",\"content\":\"guess\",\"label\":-1},{\"role\":\"assistant\",\"content\":\"x = 5\",\"label\":-1}]}\n";

    static Cli.Result run(String... args) {
        return Cli.run(EstimatorRegistry.global(), args);
    }

    @Test
    void importEvaluateDoctorCompare() throws Exception {
        Path chat = tmp.resolve("chat.jsonl");
        Files.writeString(chat, CHAT);
        Path rollouts = tmp.resolve("r.jsonl");
        Path labels = tmp.resolve("l.jsonl");
        Cli.Result imp = run(
                "import",
                "chat",
                chat.toString(),
                "-o",
                rollouts.toString(),
                "--labels-out",
                labels.toString(),
                "--state-from",
                "observation");
        assertEquals(0, imp.code(), imp::toString);
        assertTrue(imp.err().contains("3 trajectories in 1 groups, 6 turns"), imp.err());
        assertTrue(imp.err().contains("approximate token counts"), imp.err());
        assertEquals(3, Files.readAllLines(labels).size());

        Path html = tmp.resolve("e.html");
        Cli.Result ev = run(
                "evaluate",
                rollouts.toString(),
                "--labels",
                labels.toString(),
                "--estimators",
                "grpo,gigpo,gae",
                "--json",
                "--bootstrap",
                "50",
                "-o",
                html.toString());
        assertEquals(0, ev.code(), ev::toString);
        JsonNode j = new ObjectMapper().readTree(ev.out());
        assertEquals(2, j.get("estimators").size());
        JsonNode grpo = j.get("estimators").get(0);
        assertEquals("grpo", grpo.get("id").asText());
        // grpo: a gets +, b and c get -; +1 turns: a0, a1, b0 (credit -); -1 turns: b1, c0, c1 (all the same negative
        // credit)
        // pairs: a0, a1 beat all three (6); b0 ties all three (1.5): 7.5 / 9
        assertEquals(7.5 / 9, grpo.get("auroc_all").asDouble(), 1e-9);
        assertEquals(2, grpo.get("auroc_all_ci").size());
        for (String k :
                new String[] {"auroc_within_failed", "spearman", "first_error_accuracy", "first_error_accuracy_ci"}) {
            assertTrue(grpo.has(k), k);
        }
        assertEquals("gae", j.get("skipped").get(0).get("id").asText());
        assertTrue(j.get("skipped").get(0).get("reason").asText().contains("value"));
        String page = Files.readString(html);
        assertTrue(
                page.startsWith("<!DOCTYPE html>") && page.contains("<td>grpo</td>") && page.contains("Cannot run"),
                page);

        // outcome-only batch: with the outcome kept out of the step return, GiGPO's anchor-state term is
        // identically zero (inert); with the default outcome_step_reward the outcome enters the last step
        // and the term is live (issue 7)
        for (boolean never : new boolean[] {true, false}) {
            Cli.Result doc = never
                    ? run(
                            "doctor",
                            rollouts.toString(),
                            "--estimator",
                            "gigpo",
                            "--param",
                            "outcome_step_reward=never",
                            "--json")
                    : run("doctor", rollouts.toString(), "--estimator", "gigpo", "--json");
            assertEquals(0, doc.code(), doc::toString);
            JsonNode d = new ObjectMapper().readTree(doc.out());
            assertTrue(d.get("summary").get("trajectories").asInt() == 3);
            boolean inert = false;
            for (JsonNode f : d.get("findings")) {
                assertTrue(f.get("severity").asText().matches("error|warning|info"));
                if (f.get("code").asText().equals("inert_term")) inert = true;
            }
            assertEquals(never, inert, doc.out());
        }

        Path cmp = tmp.resolve("c.html");
        Cli.Result c = run(
                "compare", rollouts.toString(), "--estimators", "grpo,gigpo,matchtir", "--json", "-o", cmp.toString());
        assertEquals(0, c.code(), c::toString);
        JsonNode cj = new ObjectMapper().readTree(c.out());
        assertEquals(3, cj.get("pairs").size());
        assertTrue(Files.readString(cmp).contains("grpo vs gigpo"));
    }

    @Test
    void doctorExitsOneOnAnError() throws Exception {
        Path r = tmp.resolve("bad.jsonl");
        Files.writeString(
                r,
                "{\"group\":\"g\",\"id\":\"a\",\"outcome\":1,\"spans\":[{\"role\":\"policy\",\"tokens\":2}],"
                        + "\"token_signals\":{\"response_mask\":[1,0]}}\n"
                        + "{\"group\":\"g\",\"id\":\"b\",\"outcome\":0,\"spans\":[{\"role\":\"policy\",\"tokens\":2}],"
                        + "\"token_signals\":{\"response_mask\":[1,1]}}\n");
        Cli.Result d = run("doctor", r.toString());
        assertEquals(ExitCodes.CHECK_FAILED, d.code(), d::toString);
        assertTrue(d.out().contains("error mask_conflict"), d.out());
    }

    @Test
    void badInputIsOneLine() throws Exception {
        Cli.Result r = run("import", "csv", "x", "-o", tmp.resolve("o").toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertTrue(r.err().contains("unknown format 'csv'"), r.err());
        Path chat = tmp.resolve("c.jsonl");
        Files.writeString(chat, "{\"messages\":[{\"role\":\"robot\"}]}\n");
        r = run("import", "chat", chat.toString(), "-o", tmp.resolve("o.jsonl").toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertEquals(1, r.errLines().length, r::toString);
        assertTrue(r.err().startsWith("error: " + chat + ":1: trajectory '1': messages[0].role"), r.err());
        assertFalse(Files.exists(tmp.resolve("o.jsonl")));
    }

    @Test
    void realAgentProcessBench() throws Exception {
        Path src = Path.of("..", "..", "shared", "data", "trajectories", "AgentProcessBench", "hotpotqa.jsonl");
        assumeTrue(Files.isRegularFile(src), "real data not present");
        Path rollouts = tmp.resolve("r.jsonl");
        Path labels = tmp.resolve("l.jsonl");
        assertEquals(
                0,
                run(
                                "import",
                                "agentprocessbench",
                                src.toString(),
                                "-o",
                                rollouts.toString(),
                                "--labels-out",
                                labels.toString())
                        .code());
        Cli.Result ev = run(
                "evaluate",
                rollouts.toString(),
                "--labels",
                labels.toString(),
                "--estimators",
                "grpo",
                "--json",
                "--bootstrap",
                "20");
        assertEquals(0, ev.code(), ev::toString);
        JsonNode data = new ObjectMapper().readTree(ev.out()).get("data");
        assertEquals(250, data.get("labelled_trajectories").asInt());
        assertEquals(499, data.get("turns_plus").asInt());
        assertEquals(179, data.get("turns_minus").asInt());
        assertEquals(87, data.get("failed_labelled_trajectories").asInt());
    }
}

package dev.apportion.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class EstimatorsCommandTest {
    @Test
    void tableListsEveryEstimatorWithTaxonomyNeedsPresetsAndDefaults() {
        Cli.Result r = Cli.run("estimators");
        assertEquals(0, r.code(), r::toString);
        List<String> lines = r.out().lines().toList();
        assertTrue(
                lines.get(0).matches("ID +ALIASES +GRANULARITY +METHODOLOGY +FIDELITY +REQUIRES +PRESETS"),
                r::toString);
        assertTrue(
                lines.get(1).matches("test_mean +tm +trajectory +monte_carlo +paper +trajectory:reward +double"),
                r::toString);
        assertEquals("    parameters: scale=1 center=true", lines.get(2));
        assertTrue(r.out().contains("test_steps") && r.out().contains("span:state,token:old_logprob"), r::toString);
        assertTrue(lines.contains("    parameters: none"), r::toString);
        assertEquals("3 estimators", lines.get(lines.size() - 1));
    }

    @Test
    void jsonIsAnArrayOfDescriptors() throws IOException {
        Cli.Result r = Cli.run("estimators", "--json");
        assertEquals(0, r.code(), r::toString);
        JsonNode a = new ObjectMapper().readTree(r.out());
        assertTrue(a.isArray());
        assertEquals(3, a.size());
        JsonNode mean = a.get(0);
        assertEquals("test_mean", mean.get("id").asText());
        assertEquals("tm", mean.get("aliases").get(0).asText());
        assertEquals("trajectory", mean.get("granularity").asText());
        assertEquals("monte_carlo", mean.get("methodology").asText());
        assertEquals("paper", mean.get("fidelity").asText());
        assertEquals("reward", mean.get("requires").get(0).get("name").asText());
        assertEquals("trajectory", mean.get("requires").get(0).get("level").asText());
        assertEquals("scale", mean.get("parameters").get(0).get("name").asText());
        assertEquals(1.0, mean.get("parameters").get(0).get("default").asDouble());
        assertEquals(0.0, mean.get("parameters").get(0).get("min").asDouble());
        assertEquals(2.0, mean.get("presets").get("double").get("scale").asDouble());
    }

    @Test
    void markdownIsTheReadmeTable() {
        Cli.Result r = Cli.run("estimators", "--markdown");
        assertEquals(0, r.code(), r::toString);
        List<String> lines = r.out().lines().toList();
        assertEquals("| id | granularity | fidelity | source |", lines.get(0));
        assertEquals("| `test_mean` | trajectory | paper | test |", lines.get(2));
        assertEquals(5, lines.size());
    }

    @Test
    void jsonAndMarkdownExcludeEachOther() {
        Cli.Result r = Cli.run("estimators", "--json", "--markdown");
        assertEquals(ExitCodes.BAD_INPUT, r.code(), r::toString);
        assertEquals(1, r.errLines().length, r::toString);
    }

    @Test
    void emptyRegistryStillPrintsTheHeader() {
        Cli.Result r = Cli.run(dev.apportion.core.credit.EstimatorRegistry.of(List.of()), "estimators");
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().endsWith("0 estimators\n") || r.out().endsWith("0 estimators\r\n"), r::toString);
    }

    @Test
    void numbersAreFormattedCompactly() {
        assertEquals("1e-8", Fmt.value(1e-8));
        assertEquals("0.95", Fmt.value(0.95));
        assertEquals("1", Fmt.value(1.0));
        assertEquals("[-10,10]", Fmt.value(List.of(-10.0, 10.0)));
        assertEquals("none", Fmt.value(null));
        assertEquals("\"\"", Fmt.value(""));
        assertEquals("1.5e-6", Fmt.value(1.5e-6));
    }
}

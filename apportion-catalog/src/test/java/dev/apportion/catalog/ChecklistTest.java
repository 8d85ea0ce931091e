package dev.apportion.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checklist's items and its coverage rule. */
class ChecklistTest {
    private final Checklist checklist = Checklist.load();

    @Test
    void itemsAreExactlyTheAgreedIds() {
        assertEquals(
                List.of(
                        "credit_unit",
                        "feedback_sources",
                        "requirements",
                        "baselines",
                        "overhead",
                        "seeds",
                        "intervals",
                        "ablation",
                        "credit_quality_measure",
                        "causal_checks",
                        "stability",
                        "reward_hacking",
                        "horizon_and_stochasticity",
                        "multi_agent",
                        "release",
                        "confounds_held_equal",
                        "tuning_parity",
                        "feedback_reliability",
                        "evaluation_protocol",
                        "base_models"),
                checklist.items().stream().map(ChecklistItem::id).toList());
        for (ChecklistItem i : checklist.items()) {
            assertTrue(i.description().length() > 20, i.id());
            assertFalse(i.appliesWhen().isBlank(), i.id());
            assertFalse(i.source().isBlank(), i.id());
        }
        assertEquals(
                15, checklist.items().stream().filter(ChecklistItem::required).count());
    }

    @Test
    void completeYamlReportPasses() throws IOException {
        ChecklistResult r = checklist.check(ReportReader.read(TestFiles.report("complete-report.yaml")));
        assertTrue(r.passed());
        assertEquals(List.of(), r.missing());
        assertEquals(20, r.covered().size());
    }

    @Test
    void emptyValuesCountAsMissing() throws IOException {
        ChecklistResult r = checklist.check(ReportReader.read(TestFiles.report("missing-required.json")));
        assertFalse(r.passed());
        assertEquals(
                List.of(
                        "intervals",
                        "ablation",
                        "credit_quality_measure",
                        "stability",
                        "confounds_held_equal",
                        "tuning_parity",
                        "feedback_reliability",
                        "evaluation_protocol",
                        "causal_checks",
                        "reward_hacking",
                        "horizon_and_stochasticity",
                        "base_models"),
                r.missing().stream().map(ChecklistItem::id).toList());
        assertEquals(8, r.missingRequired());
    }

    @Test
    void nestedReportObjectCounts() throws IOException {
        ChecklistResult r = checklist.check(ReportReader.read(TestFiles.report("nested-report.json")));
        assertTrue(r.passed(), () -> "missing " + r.missing());
        assertEquals(20, r.covered().size());
    }

    @Test
    void onlyRecommendedMissingStillPasses() throws IOException {
        JsonNode n = new ObjectMapper()
                .readTree(
                        "{\"report\": {\"credit_unit\": \"token\", \"feedback_sources\": \"x\", "
                                + "\"requirements\": \"x\", \"baselines\": \"x\", \"overhead\": \"x\", \"seeds\": 3, \"intervals\": \"x\", "
                                + "\"ablation\": \"x\", \"credit_quality_measure\": \"x\", \"stability\": \"x\", \"confounds_held_equal\": \"x\", "
                                + "\"tuning_parity\": \"x\", \"feedback_reliability\": \"x\", \"evaluation_protocol\": \"x\"}, \"release\": \"x\"}");
        ChecklistResult r = checklist.check(n);
        assertTrue(r.passed());
        assertEquals(5, r.missing().size());
        assertEquals(0, r.missingRequired());
    }

    @Test
    void nonObjectReportIsRejected() throws IOException {
        JsonNode list = ReportReader.read(TestFiles.report("list.yaml"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> checklist.check(list));
        assertTrue(e.getMessage().contains("top level must be an object"), e.getMessage());
    }

    @Test
    void parseErrorsNameFileAndLine() {
        IOException yaml = assertThrows(IOException.class, () -> ReportReader.read(TestFiles.report("broken.yaml")));
        assertTrue(yaml.getMessage().contains("broken.yaml: not valid YAML at line"), yaml.getMessage());
        IOException json = assertThrows(IOException.class, () -> ReportReader.read(TestFiles.report("broken.json")));
        assertTrue(json.getMessage().contains("broken.json: not valid JSON at line 4"), json.getMessage());
    }

    @Test
    void placeholderValuesDoNotSatisfyAnItem() throws IOException {
        // issue 7: "seeds: unknown" used to count as reported
        JsonNode n = new ObjectMapper()
                .readTree("{\"seeds\": \"unknown\", \"intervals\": \" TBD \", \"credit_unit\": \"turn\"}");
        ChecklistResult r = checklist.check(n);
        List<String> missing = r.missing().stream().map(ChecklistItem::id).toList();
        assertTrue(missing.contains("seeds"), missing::toString);
        assertTrue(missing.contains("intervals"), missing::toString);
        assertFalse(missing.contains("credit_unit"), missing::toString);
    }
}

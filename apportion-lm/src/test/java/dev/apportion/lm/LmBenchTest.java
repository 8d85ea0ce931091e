package dev.apportion.lm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LmBenchTest {
    private static Map<String, Object> run(String est, int seed, double after) {
        return Map.ofEntries(
                Map.entry("task", "tool"),
                Map.entry("seed", seed),
                Map.entry("estimator", est),
                Map.entry("samples", 128),
                Map.entry("success_before", 0.5),
                Map.entry("success_after", after),
                Map.entry("curve", List.of(0.5, 0.55, after)),
                Map.entry("curve_samples", List.of(0, 64, 128)),
                Map.entry("seconds_per_step", 1.0),
                Map.entry("credit_share", 0.01),
                Map.entry("cpu_seconds_per_step", 0.5),
                Map.entry("credit_cpu_share", 0.02));
    }

    @Test
    void reportHasTheLearningCurveAndTheQualityTable() {
        Map<String, Object> all = Map.of(
                "setup",
                Map.of("steps", 2),
                "runs",
                List.of(run("grpo", 1, 0.6), run("grpo", 2, 0.7), run("delta", 1, 0.65)),
                "credit_quality",
                List.of(Map.of(
                        "task",
                        "tool",
                        "estimator",
                        "grpo",
                        "seed",
                        1,
                        "spearman",
                        0.5,
                        "sign_agreement",
                        0.9,
                        "oracle_se_mean",
                        0.07)));
        String html = LmBench.report(all, "apportion bench --suite lm", "2 processors");
        assertTrue(html.startsWith("<!doctype html>"));
        assertTrue(html.contains("data-ap-chart=\"{&quot;type&quot;:&quot;line&quot;"), "a declared line chart");
        assertTrue(html.contains("[0,64,128]"), "samples on the x axis");
        assertTrue(html.contains("0.650 ± 0.635"), "success after with its 95% interval over two seeds");
        assertTrue(html.contains("<td class=\"num\">0.070</td>"), "the oracle's standard error");
        assertTrue(html.contains("window.ApView"), "apportion-view's components are inlined");
    }
}

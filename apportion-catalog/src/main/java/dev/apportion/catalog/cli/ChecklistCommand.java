package dev.apportion.catalog.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.catalog.Checklist;
import dev.apportion.catalog.ChecklistItem;
import dev.apportion.catalog.ChecklistResult;
import dev.apportion.catalog.ReportReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code apportion checklist REPORT}: checks a YAML or JSON report against the reporting
 * checklist. An item is covered when its id is a key with a non-empty value at top level or under
 * a top-level {@code report} object. Prints what is missing with each item's description.
 * Exit 0 when no required item is missing, 1 when one is, 2 when the file cannot be read or parsed
 * (the message names the file, and the line for a parse error).
 */
@Command(
        name = "checklist",
        mixinStandardHelpOptions = true,
        header = "Check a report against the credit-assignment reporting checklist.",
        description = "Check a credit-assignment report (YAML or JSON) against the reporting checklist.")
public final class ChecklistCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "REPORT", description = "report file (.json, .yaml or .yml)")
    Path report;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        JsonNode root;
        try {
            root = ReportReader.read(report);
        } catch (IOException e) {
            err.println("apportion checklist: " + e.getMessage());
            err.flush();
            return 2;
        }
        Checklist checklist = Checklist.load();
        ChecklistResult result;
        try {
            result = checklist.check(root);
        } catch (IllegalArgumentException e) {
            err.println("apportion checklist: " + report + ": " + e.getMessage());
            err.flush();
            return 2;
        }
        long req = checklist.items().stream().filter(ChecklistItem::required).count();
        long reqCovered =
                result.covered().stream().filter(ChecklistItem::required).count();
        long rec = checklist.items().size() - req;
        out.println("checklist " + checklist.version() + ": " + report);
        out.println("covered " + result.covered().size() + " of "
                + checklist.items().size() + " items (required " + reqCovered + " of " + req + ", recommended "
                + (result.covered().size() - reqCovered) + " of " + rec + ")");
        List<ChecklistItem> missingRequired =
                result.missing().stream().filter(ChecklistItem::required).toList();
        List<ChecklistItem> missingRecommended =
                result.missing().stream().filter(i -> !i.required()).toList();
        if (!missingRequired.isEmpty()) out.println("missing required items:");
        for (ChecklistItem i : missingRequired) out.println("  " + i.id() + ": " + i.description());
        if (!missingRecommended.isEmpty()) out.println("missing recommended items:");
        for (ChecklistItem i : missingRecommended)
            out.println("  " + i.id() + ": " + i.description() + " (applies " + i.appliesWhen() + ")");
        out.println(
                result.passed()
                        ? "result: PASS"
                        : "result: FAIL (" + result.missingRequired() + " required item"
                                + (result.missingRequired() == 1 ? "" : "s") + " missing)");
        out.flush();
        return result.passed() ? 0 : 1;
    }
}

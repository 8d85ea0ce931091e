package dev.apportion.cli;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.io.RolloutJsonl;
import dev.apportion.io.doctor.Doctor;
import dev.apportion.io.doctor.DoctorReport;
import dev.apportion.io.doctor.Finding;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code apportion doctor}: the health of a batch before training, and of an estimator's credit on it. */
@Command(
        name = "doctor",
        mixinStandardHelpOptions = true,
        versionProvider = VersionInfo.class,
        sortOptions = false,
        header = "Check a rollout batch and an estimator's credit on it for problems.",
        description = {
            "Finds groups of one, groups with all-equal or near-equal rewards (and the share of tokens they "
                    + "hold), NaN/Inf, empty turns, masks that disagree with the spans, partial groups, the length bias of "
                    + "the loss aggregation; with --estimator also exploding or non-finite advantages and a distinguishing "
                    + "term that is zero on this batch (e.g. anchor states that never repeat, so GiGPO equals GRPO).",
            "Exit code 1 when an error is found."
        },
        footer = {"", "Example:", "  apportion doctor rollouts.jsonl --estimator gigpo"})
final class DoctorCommand implements Callable<Integer> {
    @ParentCommand
    private Main main;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "Rollout JSONL.")
    private Path in;

    @Option(
            names = "--estimator",
            paramLabel = "ID",
            description = "Also check this estimator's credit (default parameters unless --preset/--param).")
    private String estimator;

    @Option(names = "--preset", paramLabel = "P", description = "Parameter preset of the estimator.")
    private String preset;

    @Option(names = "--param", paramLabel = "KEY=VALUE", description = "Sets one estimator parameter; repeatable.")
    private Map<String, String> params = new LinkedHashMap<>();

    @Option(names = "--json", description = "Print {\"findings\": [...], \"summary\": {...}}.")
    private boolean json;

    @Override
    public Integer call() throws IOException {
        Estimator est = null;
        Params p = null;
        if (estimator != null) {
            est = main.registry().get(estimator);
            p = Params.resolve(est.descriptor(), preset, params);
        } else if (preset != null || !params.isEmpty()) {
            throw new IllegalArgumentException("--preset and --param need --estimator");
        }
        Rollouts batch = RolloutJsonl.read(in);
        DoctorReport r = Doctor.examine(batch, est, p, main.registry());
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Pages.printJson(out, toJson(r));
        } else {
            out.println(in + ": " + r.summary());
            if (r.findings().isEmpty()) out.println("no findings");
            for (Finding f : r.findings()) out.println(f.severity() + " " + f.code() + ": " + f.message());
        }
        out.flush();
        return r.hasError() ? ExitCodes.CHECK_FAILED : ExitCodes.OK;
    }

    static Map<String, Object> toJson(DoctorReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Map<String, Object>> fs = new ArrayList<>();
        for (Finding f : r.findings()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("severity", f.severity().wireName());
            o.put("code", f.code());
            o.put("message", f.message());
            if (f.group() != null) o.put("group", f.group());
            if (f.id() != null) o.put("id", f.id());
            fs.add(o);
        }
        m.put("findings", fs);
        Map<String, Object> summary = new LinkedHashMap<>();
        r.summary().forEach((k, v) -> summary.put(k, v instanceof Double d ? Pages.json(d) : v));
        m.put("summary", summary);
        return m;
    }
}

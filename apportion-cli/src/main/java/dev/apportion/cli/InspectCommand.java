package dev.apportion.cli;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.io.InputException;
import dev.apportion.io.RolloutJsonl;
import dev.apportion.io.doctor.Doctor;
import dev.apportion.io.doctor.Finding;
import dev.apportion.view.PinnedFinding;
import dev.apportion.view.ViewerPage;
import dev.apportion.view.ViewerRun;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code apportion inspect}: one self-contained HTML page that shows where the credit of one or
 * more estimators goes, token by token and turn by turn ({@link ViewerPage}).
 */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        versionProvider = VersionInfo.class,
        sortOptions = false,
        header = "Write a self-contained HTML view of the credit of a rollout file.",
        description = {
            "Runs each estimator on the whole batch and writes one HTML file (no network: styles, "
                    + "Chart.js and scripts inlined) showing per trajectory its group, outcome, agent and spans, every token "
                    + "coloured by its credit on a colour-vision-safe diverging scale (value on hover and keyboard focus), "
                    + "per-turn credit bars, a per-group summary, filters, a selector and a side-by-side mode for two "
                    + "estimators, the findings of 'apportion doctor' pinned on the trajectories they name, and the provenance. Only the trajectories on screen get token elements, so large "
                    + "batches open quickly. See docs/viewer.md."
        },
        footer = {"", "Example:", "  apportion inspect examples/two-groups.jsonl --estimators grpo,gigpo -o view.html"})
final class InspectCommand implements Callable<Integer> {
    @ParentCommand
    private Main main;

    @Spec
    private CommandSpec spec;

    @Option(
            names = "--estimators",
            split = ",",
            paramLabel = "ID",
            defaultValue = "grpo",
            description =
                    "Estimators to show, comma-separated; the first two are side by side (default: ${DEFAULT-VALUE}).")
    private List<String> estimators;

    @Option(
            names = "--preset",
            paramLabel = "P",
            description = "Preset applied to every estimator that defines it (at least one must).")
    private String preset;

    @Option(
            names = "--param",
            paramLabel = "KEY=VALUE",
            description = "Sets one parameter of every estimator that declares it (at least one must); repeatable.")
    private Map<String, String> params = new LinkedHashMap<>();

    @Option(
            names = "--limit",
            paramLabel = "N",
            description = "Show only the first N trajectories (credit is still computed on the whole batch).")
    private Integer limit;

    @Option(
            names = "--threads",
            paramLabel = "N",
            defaultValue = "1",
            description = "Threads the estimators may use (default: ${DEFAULT-VALUE}).")
    private int threads;

    @Option(
            names = {"-o", "--output"},
            required = true,
            paramLabel = "OUT",
            description = "HTML file to write (replaced atomically).")
    private Path out;

    @Parameters(index = "0", paramLabel = "IN", description = "Rollout JSONL to read.")
    private Path in;

    @Override
    public Integer call() throws IOException {
        if (threads < 1) throw new ParameterException(spec.commandLine(), "--threads must be >= 1, got " + threads);
        if (limit != null && limit < 1)
            throw new ParameterException(spec.commandLine(), "--limit must be >= 1, got " + limit);
        if (estimators.isEmpty()) throw new ParameterException(spec.commandLine(), "--estimators names no estimator");
        PrintWriter err = spec.commandLine().getErr();
        List<Estimator> ests = new ArrayList<>();
        List<Params> resolved = new ArrayList<>();
        resolve(ests, resolved);
        Path dir = out.toAbsolutePath().getParent();
        if (Files.isDirectory(out)) throw new IllegalArgumentException("cannot write '" + out + "': it is a directory");
        if (dir != null && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("cannot write '" + out + "': directory '" + dir + "' does not exist");
        }

        long t0 = System.nanoTime();
        Rollouts batch = RolloutJsonl.read(in);
        List<ViewerRun> runs = new ArrayList<>();
        try (Execution exec = Execution.threads(threads)) {
            for (int k = 0; k < ests.size(); k++) {
                Estimator e = ests.get(k);
                Params p = resolved.get(k);
                Credit c;
                try {
                    c = e.assign(batch, p, exec);
                } catch (InputException ex) {
                    throw ex;
                } catch (IllegalArgumentException ex) {
                    throw new IllegalArgumentException(in + ": " + e.id() + ": " + ex.getMessage(), ex);
                }
                runs.add(new ViewerRun(e.id(), label(e, p), p.preset(), p.values(), c));
            }
        }
        Map<String, Object> prov = new LinkedHashMap<>();
        prov.put(
                "source",
                in.getFileName() == null ? in.toString() : in.getFileName().toString());
        prov.put("apportion", new VersionInfo().describe());
        List<PinnedFinding> findings = findings(batch, ests.get(0), resolved.get(0));
        String html = ViewerPage.inspect(
                batch,
                limit == null ? Integer.MAX_VALUE : limit,
                runs,
                findings == null ? List.of() : findings,
                prov,
                findings != null);
        writeAtomically(out, html);
        err.printf(
                Locale.ROOT,
                "inspect: %d trajectories, %d tokens, %d estimator%s -> %s (%d bytes, %s)%n",
                Math.min(batch.trajectoryCount(), limit == null ? Integer.MAX_VALUE : limit),
                batch.tokenCount(),
                runs.size(),
                runs.size() == 1 ? "" : "s",
                out,
                html.getBytes(StandardCharsets.UTF_8).length,
                Fmt.seconds((System.nanoTime() - t0) / 1e9));
        err.flush();
        return ExitCodes.OK;
    }

    /**
     * The findings of {@code apportion doctor} ({@link Doctor#examine}) on the batch and the
     * first estimator's credit, pinned by the page on the trajectories (or groups) they name.
     */
    private List<PinnedFinding> findings(Rollouts batch, Estimator estimator, Params params) {
        List<PinnedFinding> out = new ArrayList<>();
        for (Finding f :
                Doctor.examine(batch, estimator, params, main.registry()).findings()) {
            out.add(new PinnedFinding(f.severity().wireName(), f.code(), f.message(), f.group(), f.id()));
        }
        return out;
    }

    private void resolve(List<Estimator> ests, List<Params> resolved) {
        boolean presetUsed = preset == null;
        Map<String, Boolean> used = new LinkedHashMap<>();
        params.keySet().forEach(k -> used.put(k, false));
        for (String id : estimators) {
            Estimator e = main.registry().get(id.strip());
            String p = preset != null && e.descriptor().presets().containsKey(preset) ? preset : null;
            if (p != null) presetUsed = true;
            Map<String, String> mine = new LinkedHashMap<>();
            for (ParamSpec s : e.descriptor().parameters()) {
                if (params.containsKey(s.name())) {
                    mine.put(s.name(), params.get(s.name()));
                    used.put(s.name(), true);
                }
            }
            ests.add(e);
            resolved.add(Params.resolve(e.descriptor(), p, mine));
        }
        if (!presetUsed) {
            throw new IllegalArgumentException(
                    "--preset " + preset + ": none of " + String.join(",", estimators) + " defines it");
        }
        used.forEach((k, ok) -> {
            if (!ok)
                throw new IllegalArgumentException(
                        "--param " + k + ": none of " + String.join(",", estimators) + " has this parameter");
        });
    }

    private static String label(Estimator e, Params p) {
        return e.id() + (p.preset() != null ? " [" + p.preset() + "]" : "");
    }

    private static void writeAtomically(Path target, String text) throws IOException {
        Path abs = target.toAbsolutePath();
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try {
                Files.setPosixFilePermissions(
                        tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: keep the default permissions
            }
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}

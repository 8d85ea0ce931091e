package dev.apportion.bench.report;

import dev.apportion.io.BuildInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Version and git commit for provenance: the build's ({@link BuildInfo}, generated when
 * apportion-io is built), not whatever checkout the bench happens to run in.
 */
public final class Provenance {
    private Provenance() {}

    /** The apportion version (from the build), or "unknown". */
    public static String version() {
        return BuildInfo.current().version();
    }

    /** The git commit the running build was made from ({@code -dirty} when its tree had changes), or null when unknown. */
    public static String buildCommit() {
        BuildInfo b = BuildInfo.current();
        return BuildInfo.UNKNOWN.equals(b.commit()) ? null : b.commitDescribed();
    }

    /** The Chart.js version bundled in the report. */
    public static String chartJsVersion() {
        return dev.apportion.view.ViewAssets.chartJsVersion();
    }

    private static String property(String key, String def) {
        try (InputStream in = Provenance.class.getResourceAsStream("/dev/apportion/bench/version.properties")) {
            if (in == null) return def;
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty(key);
            return v == null || v.startsWith("${") ? def : v;
        } catch (IOException e) {
            return def;
        }
    }

    /** The commit checked out in the git work tree containing {@code dir}, or null. */
    public static String gitCommit(Path dir) {
        try {
            Path d = dir.toAbsolutePath().normalize();
            while (d != null && !Files.exists(d.resolve(".git"))) d = d.getParent();
            if (d == null) return null;
            Path git = d.resolve(".git");
            if (Files.isRegularFile(git)) {
                String s = Files.readString(git, StandardCharsets.UTF_8).trim();
                if (!s.startsWith("gitdir:")) return null;
                git = d.resolve(s.substring(7).trim()).normalize();
            }
            String head = Files.readString(git.resolve("HEAD"), StandardCharsets.UTF_8)
                    .trim();
            if (!head.startsWith("ref:")) return head.matches("[0-9a-f]{40}") ? head : null;
            String ref = head.substring(4).trim();
            Path common = git;
            Path cd = git.resolve("commondir");
            if (Files.exists(cd))
                common = git.resolve(
                                Files.readString(cd, StandardCharsets.UTF_8).trim())
                        .normalize();
            for (Path base : new Path[] {git, common}) {
                Path f = base.resolve(ref);
                if (Files.exists(f))
                    return Files.readString(f, StandardCharsets.UTF_8).trim();
            }
            Path packed = common.resolve("packed-refs");
            if (Files.exists(packed)) {
                for (String line : Files.readAllLines(packed, StandardCharsets.UTF_8)) {
                    if (line.endsWith(" " + ref)) return line.substring(0, line.indexOf(' '));
                }
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}

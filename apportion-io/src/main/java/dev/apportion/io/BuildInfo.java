package dev.apportion.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version of this build and the git commit it was built from: the one build-info source of
 * the project, read from {@code dev/apportion/io/build.properties}, which Maven fills in when it
 * builds apportion-io (resource filtering; the commit comes from {@code git rev-parse} in the
 * build's checkout, see apportion-io/pom.xml). A value Maven could not fill in (no git, not a
 * checkout, an IDE build) reads as {@code "unknown"}. The CLI's {@code --version}, the credit
 * JSONL provenance record and the bench's results all read it.
 */
public final class BuildInfo {
    private static final String RESOURCE = "/dev/apportion/io/build.properties";
    /** What a value that is not known reads as. */
    public static final String UNKNOWN = "unknown";

    private static final BuildInfo CURRENT = new BuildInfo();

    private final String version;
    private final String commit;
    private final boolean dirty;

    private BuildInfo() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
        this.version = clean(p.getProperty("version"));
        this.commit = clean(p.getProperty("commit"));
        this.dirty = "true".equals(clean(p.getProperty("dirty")));
    }

    /** The running build's information. */
    public static BuildInfo current() {
        return CURRENT;
    }

    private static String clean(String v) {
        if (v == null) return UNKNOWN;
        v = v.trim();
        return v.isEmpty() || v.contains("${") ? UNKNOWN : v;
    }

    /** Project version, e.g. {@code 0.1.0-SNAPSHOT}, or "unknown". */
    public String version() {
        return version;
    }

    /** Abbreviated (12-digit) git commit of the build, or "unknown". */
    public String commit() {
        return commit;
    }

    /** True when the build was made from a checkout with uncommitted changes. */
    public boolean dirty() {
        return dirty;
    }

    /** The commit with {@code -dirty} appended when the tree had changes ("unknown" stays as is). */
    public String commitDescribed() {
        return commit + (dirty && !UNKNOWN.equals(commit) ? "-dirty" : "");
    }

    /** {@code 0.1.0-SNAPSHOT (commit 1a2b3c4)}, with {@code -dirty} when the tree had changes. */
    public String describe() {
        return version + " (commit " + commitDescribed() + ")";
    }
}

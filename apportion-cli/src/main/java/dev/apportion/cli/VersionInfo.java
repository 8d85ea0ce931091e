package dev.apportion.cli;

import picocli.CommandLine.IVersionProvider;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version of this build and the git commit it was built from, read from
 * {@code version.properties} (filled in by Maven resource filtering). A value Maven could not
 * fill in (no git, not a checkout, run from an IDE) reads as {@code "unknown"}.
 */
public final class VersionInfo implements IVersionProvider {
    private static final String RESOURCE = "/dev/apportion/cli/version.properties";
    private static final String UNKNOWN = "unknown";

    private final String version;
    private final String commit;
    private final boolean dirty;

    /** Reads the information of the running build (picocli calls this for {@code --version}). */
    public VersionInfo() {
        Properties p = new Properties();
        try (InputStream in = VersionInfo.class.getResourceAsStream(RESOURCE)) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
        this.version = clean(p.getProperty("version"));
        this.commit = clean(p.getProperty("commit"));
        this.dirty = "true".equals(clean(p.getProperty("dirty")));
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

    /** Abbreviated git commit of the build, or "unknown". */
    public String commit() {
        return commit;
    }

    /** True when the build was made from a checkout with uncommitted changes. */
    public boolean dirty() {
        return dirty;
    }

    /** {@code 0.1.0-SNAPSHOT (commit 1a2b3c4)}, with {@code -dirty} when the tree had changes. */
    public String describe() {
        return version + " (commit " + commit + (dirty && !UNKNOWN.equals(commit) ? "-dirty" : "") + ")";
    }

    @Override
    public String[] getVersion() {
        return new String[] {"apportion " + describe(), "Java " + System.getProperty("java.version")
                + " (" + System.getProperty("java.vm.name") + ")"};
    }
}

package dev.apportion.cli;

import dev.apportion.io.BuildInfo;
import picocli.CommandLine.IVersionProvider;

/**
 * The version of this build and the git commit it was built from, for picocli's
 * {@code --version}: a view of {@link BuildInfo}, the project's one build-info source.
 */
public final class VersionInfo implements IVersionProvider {
    private final BuildInfo build = BuildInfo.current();

    /** Project version, e.g. {@code 0.1.0-SNAPSHOT}, or "unknown". */
    public String version() {
        return build.version();
    }

    /** Abbreviated git commit of the build, or "unknown". */
    public String commit() {
        return build.commit();
    }

    /** True when the build was made from a checkout with uncommitted changes. */
    public boolean dirty() {
        return build.dirty();
    }

    /** {@code 0.1.0-SNAPSHOT (commit 1a2b3c4)}, with {@code -dirty} when the tree had changes. */
    public String describe() {
        return build.describe();
    }

    @Override
    public String[] getVersion() {
        return new String[] {
            "apportion " + describe(),
            "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"
        };
    }
}

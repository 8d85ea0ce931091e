package dev.apportion.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code assign --engine spark}: Spark is not in the runnable jar (it would add hundreds of MB),
 * so the job runs in a child JVM on the class path the apportion-spark module leaves in its
 * {@code target/} when it is built ({@code classpath.txt}, computed once by
 * {@code dependency:build-classpath}, plus the module's classes). Output and exit code are the
 * child's. The module is found next to the CLI module of the same checkout, or in the directory
 * named by {@code APPORTION_SPARK_HOME} (which holds {@code classes/} or a jar, and
 * {@code classpath.txt}).
 */
final class SparkEngine {
    /** JVM options Spark 4 needs on Java 17 (the list Spark's own launcher adds). */
    static final List<String> JVM_OPTIONS = List.of(
            "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
                    "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED",
            "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
                    "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
            "-Djdk.reflect.useDirectMethodHandle=false", "-Dio.netty.tryReflectionSetAccessible=true");

    private SparkEngine() {}

    /** The spark module's target directory: APPORTION_SPARK_HOME, else beside this jar's module. */
    static Path home(Map<String, String> env) {
        String h = env.get("APPORTION_SPARK_HOME");
        if (h != null && !h.isBlank()) return Path.of(h);
        try {
            Path self = Path.of(SparkEngine.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
            // apportion-cli/target/apportion.jar or apportion-cli/target/classes
            Path root = self.getParent().getParent().getParent();
            return root.resolve("apportion-spark").resolve("target");
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of("apportion-spark", "target");
        }
    }

    /** The child's class path, or an IllegalArgumentException of one line saying how to build the module. */
    static String classPath(Path home) throws IOException {
        Path cp = home.resolve("classpath.txt");
        Path classes = home.resolve("classes");
        Path jar = home.resolve("apportion-spark-job.jar");
        Path own = Files.isDirectory(classes.resolve("dev")) ? classes : jar;
        if (!Files.isRegularFile(cp) || !Files.exists(own)) {
            throw new IllegalArgumentException("the Spark engine is not built (looked for " + cp
                    + "); build it once with: " + "mvn -B -q -DskipTests package -pl apportion-spark -am");
        }
        return own + java.io.File.pathSeparator + Files.readString(cp).trim();
    }

    /** Runs the job in a child JVM; returns its exit code. */
    static int run(List<String> jobArgs, Map<String, String> env) throws IOException, InterruptedException {
        String cp = classPath(home(env));
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String opts = env.getOrDefault("APPORTION_SPARK_JAVA_OPTS", "");
        for (String o : opts.trim().split("\\s+")) if (!o.isEmpty()) cmd.add(o);
        cmd.addAll(JVM_OPTIONS);
        cmd.add("-Dlog4j2.configurationFile=dev/apportion/spark/log4j2-quiet.properties");
        cmd.add("-cp");
        cmd.add(cp);
        cmd.add("dev.apportion.spark.SparkAssign");
        cmd.addAll(jobArgs);
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        return p.waitFor();
    }
}

package dev.apportion.lm;

import ai.djl.engine.Engine;

/**
 * The PyTorch engine of DJL on CPU, loaded offline: the native library comes from the
 * {@code ai.djl.pytorch:pytorch-native-cpu} jar on the class path (DJL extracts it once into its
 * cache directory) and the JNI glue from {@code pytorch-jni}; {@code ai.djl.offline=true} makes
 * DJL fail instead of downloading anything. One intra-op and one inter-op thread by default
 * (the machine is small and shared; results are then reproducible bit for bit), overridable
 * with the usual {@code ai.djl.pytorch.num_threads} system property.
 */
public final class LmEngine {
    private static Engine engine;

    private LmEngine() {}

    /** The engine, loaded on first use. */
    public static synchronized Engine get() {
        if (engine == null) {
            setIfAbsent("ai.djl.offline", "true");
            setIfAbsent("ai.djl.pytorch.num_threads", "1");
            setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
            setIfAbsent("ai.djl.pytorch.graph_optimizer", "false");
            if (Engine.class.getClassLoader().getResource("native/lib/pytorch.properties") == null) {
                throw new IllegalStateException(
                        "the PyTorch native library jar (ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64) "
                                + "is not on the class path; apportion-lm never downloads it at run time");
            }
            engine = Engine.getEngine("PyTorch");
        }
        return engine;
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) System.setProperty(key, value);
    }
}

package dev.apportion.bench.run;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a run's timings were measured on: processors, CPU model and memory (from {@code /proc} on
 * Linux, null elsewhere), the load average at the start and the end, and the process's CPU time
 * and peak resident memory. Recorded in results.json's {@code timing.machine}, the part of the
 * file that is not reproducible.
 */
public final class MachineInfo {
    private MachineInfo() {}

    /** The one-minute system load average, or NaN when unavailable. */
    public static double loadAverage() {
        double l = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return l < 0 ? Double.NaN : l;
    }

    static Map<String, Object> describe(double loadAtStart, int unitsRun, int unitsResumed) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("available_processors", Runtime.getRuntime().availableProcessors());
        m.put("cpu_model", procField(Path.of("/proc/cpuinfo"), "model name"));
        String mem = procField(Path.of("/proc/meminfo"), "MemTotal");
        m.put("memory_total_mb", mem == null ? null : kb(mem) / 1024);
        m.put(
                "os",
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"));
        m.put("java_vm", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("max_heap_mb", Runtime.getRuntime().maxMemory() / (1024 * 1024));
        m.put("load_average_start", round(loadAtStart));
        m.put("load_average_end", round(loadAverage()));
        double cpu = Double.NaN;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            cpu = os.getProcessCpuTime() / 1e9;
        }
        m.put("process_cpu_seconds", round(cpu));
        String hwm = procField(Path.of("/proc/self/status"), "VmHWM");
        m.put("peak_resident_mb", hwm == null ? null : kb(hwm) / 1024);
        m.put("units_run", unitsRun);
        m.put("units_resumed", unitsResumed);
        return m;
    }

    private static Object round(double v) {
        return Double.isFinite(v) ? Math.round(v * 100) / 100.0 : null;
    }

    private static long kb(String v) {
        String d = v.replaceAll("[^0-9]", "");
        return d.isEmpty() ? 0 : Long.parseLong(d);
    }

    /** The value of the first "key: value" line of a /proc file, or null. */
    static String procField(Path f, String key) {
        try {
            if (!Files.isReadable(f)) return null;
            List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
            for (String l : lines) {
                int c = l.indexOf(':');
                if (c > 0 && l.substring(0, c).trim().equals(key))
                    return l.substring(c + 1).trim();
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}

package dev.apportion.bench.task;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The task families by id. */
public final class TaskFamilies {
    private static final Map<String, TaskFamily> ALL = new LinkedHashMap<>();

    static {
        for (TaskFamily f : List.of(
                new Bifurcation(),
                new Umbrella(),
                new DiscountingChain(),
                new KeyToDoor(),
                new Agentic(),
                new MultiAgent())) {
            ALL.put(f.id(), f);
        }
    }

    private TaskFamilies() {}

    /** Every family, in a fixed order. */
    public static List<TaskFamily> all() {
        return List.copyOf(ALL.values());
    }

    /**
     * The family with this id.
     *
     * @throws IllegalArgumentException naming the unknown id and the known ones
     */
    public static TaskFamily get(String id) {
        TaskFamily f = ALL.get(id);
        if (f == null)
            throw new IllegalArgumentException(
                    "unknown task family '" + id + "'; known: " + String.join(", ", ALL.keySet()));
        return f;
    }
}

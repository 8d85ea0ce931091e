package dev.apportion.lm;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Helpers for tests on the tiny model. */
final class TinyModel {
    private TinyModel() {}

    static List<Episode> fresh(Task task, int prompts, int group, long seed, int maxLen) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Episode> eps = new ArrayList<>();
        for (int j = 0; j < prompts; j++) {
            Task.Problem p = task.sample(r);
            for (int g = 0; g < group; g++) eps.add(Episode.start(j, p, maxLen));
        }
        return eps;
    }
}

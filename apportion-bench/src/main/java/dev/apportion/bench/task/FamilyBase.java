package dev.apportion.bench.task;

import dev.apportion.core.credit.ParamSpec;
import java.util.List;

/** The fixed descriptive part every task family shares: id, title, source and knobs, set once. */
abstract class FamilyBase implements TaskFamily {
    private final String id;
    private final String title;
    private final String source;
    private final List<ParamSpec> knobs;

    FamilyBase(String id, String title, String source, List<ParamSpec> knobs) {
        this.id = id;
        this.title = title;
        this.source = source;
        this.knobs = knobs;
    }

    @Override
    public final String id() {
        return id;
    }

    @Override
    public final String title() {
        return title;
    }

    @Override
    public final String source() {
        return source;
    }

    @Override
    public final List<ParamSpec> knobs() {
        return knobs;
    }
}

package dev.apportion.io.golden;

import java.util.List;

/**
 * The one list of golden adapters. {@link Conformance} hands a case to the first adapter that
 * accepts it, so specific layouts come before the default verl layout, which stays last.
 * A helper adding estimators whose golden file has its own layout adds its adapter here.
 */
public final class GoldenAdapters {
    private static final List<GoldenAdapter> ALL = List.of(
            new OpenRlhfAdapter(),
            new TrlAdapter(),
            new GigpoStepAdapter(),
            new AgenticTurnAdapter(),
            new MultiAgentAdapter(),
            new MtGrpoSpaRlAdapter(),
            new RewardComponentsAdapter(),
            new DeltaAt2poArcherAdapter(),
            new PureRewardAdapter(),
            new PureAdapter(),
            new MaRlhfAdapter(),
            new GroupRunsAdapter(),
            new AdoraVlAdapter(),
            new TemporalScheduleAdapter(),
            new ReasoningTokenAdapter(),
            new PrlPoadItpoAdapter(),
            new VerlLayoutAdapter());

    private GoldenAdapters() {}

    /** Every adapter, most specific first. */
    public static List<GoldenAdapter> all() {
        return ALL;
    }

    /** The first adapter of {@code adapters} that accepts {@code c}, or null. */
    public static GoldenAdapter find(GoldenCase c, List<GoldenAdapter> adapters) {
        for (GoldenAdapter a : adapters) {
            if (a.accepts(c)) return a;
        }
        return null;
    }
}

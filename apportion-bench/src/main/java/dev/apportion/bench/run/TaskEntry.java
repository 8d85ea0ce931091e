package dev.apportion.bench.run;

import java.util.List;
import java.util.Map;

/**
 * One task entry of a suite: a family with knob values, optionally swept over one knob.
 *
 * @param id entry id (e.g. {@code umbrella_length})
 * @param family task family id
 * @param knobs fixed knob values
 * @param sweepKnob knob swept over, or null
 * @param sweepValues values of the swept knob (empty without a sweep)
 * @param learning whether to run the learning comparison on it
 * @param leaderboard whether it counts in the leaderboard (sweeps default to no)
 * @param bsuite bsuite experiment whose score to compute over the sweep ({@code umbrella_length},
 *     {@code umbrella_distract}, {@code discounting_chain}), or null
 */
public record TaskEntry(
        String id,
        String family,
        Map<String, Object> knobs,
        String sweepKnob,
        List<Object> sweepValues,
        boolean learning,
        boolean leaderboard,
        String bsuite) {}

package dev.apportion.core.estimator.segment;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;

import java.util.List;

/**
 * Registers the segment-level estimators of this package (see META-INF/services):
 * {@link SpoChain} ({@code spo_chain}) and {@link SpoTree} ({@code spo_tree}). The package's other
 * classes are still registered by {@link ReasoningEstimators} and {@link PaperReasoningEstimators}
 * until the layout change (issue 8) moves them here.
 */
public final class SegmentEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of(new SpoChain(), new SpoTree(), new TpGrpo());
    }
}

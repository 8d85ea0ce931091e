package dev.apportion.core.credit;

import java.util.List;

/**
 * Service-provider interface: a module lists its estimators here and names the provider in
 * {@code META-INF/services/dev.apportion.core.credit.EstimatorProvider}.
 */
public interface EstimatorProvider {
    List<Estimator> estimators();
}

package dev.apportion.catalog;

import dev.apportion.core.credit.Fidelity;

/**
 * An apportion estimator that implements an inventory entry's method.
 *
 * @param estimator registry id
 * @param fidelity the fidelity the estimator's descriptor must declare
 */
public record Implementation(String estimator, Fidelity fidelity) {}

package dev.apportion.view;

import dev.apportion.core.credit.Credit;
import java.util.Map;
import java.util.Objects;

/**
 * One estimator's credit on the batch, as the viewer shows it.
 *
 * @param id estimator id
 * @param label what the selector shows (id, preset and explicit parameters)
 * @param preset the preset, or null
 * @param params the resolved parameter values (provenance)
 * @param credit the credit of the whole batch
 */
public record ViewerRun(String id, String label, String preset, Map<String, Object> params, Credit credit) {
    public ViewerRun {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(credit, "credit");
    }
}

package dev.apportion.catalog;

/**
 * One item of the reporting checklist.
 *
 * @param id key a report uses for the item (e.g. {@code credit_quality_measure})
 * @param title a few words
 * @param description what the report must state
 * @param required true for required items, false for recommended ones
 * @param appliesWhen when the item applies
 * @param source where the item comes from (survey checklist item, repository checklist)
 */
public record ChecklistItem(
        String id, String title, String description, boolean required, String appliesWhen, String source) {
    /** "required" or "recommended". */
    public String level() {
        return required ? "required" : "recommended";
    }
}

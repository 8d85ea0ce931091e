package dev.apportion.catalog;

/**
 * A catalog data file (inventory, checklist, decision tree) breaks its format. The message names
 * the file, the entry and the field, and the offending value.
 */
public final class CatalogFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public CatalogFormatException(String message) {
        super(message);
    }

    public CatalogFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}

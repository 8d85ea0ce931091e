package dev.apportion.io.golden;

/**
 * An adapter chosen by the case's {@code preset} alone (the reference framework's rows in the
 * verl layout with that framework's own fields); its name is the preset.
 */
abstract class PresetAdapter implements GoldenAdapter {
    private final String preset;

    PresetAdapter(String preset) {
        this.preset = preset;
    }

    @Override
    public final String name() {
        return preset;
    }

    @Override
    public final boolean accepts(GoldenCase c) {
        return preset.equals(c.preset());
    }
}

package dev.apportion.bench.run;

/** Receives progress of a benchmark run (called from worker threads; implementations synchronise). */
public interface Progress {
    /** A run of {@code total} work units starts. */
    void start(int total);

    /** One more unit is done; {@code label} says what it was. */
    void advance(String label);

    /** The run is over. */
    void finish();

    /** Progress that goes nowhere. */
    Progress NONE = new Progress() {
        @Override
        public void start(int total) {}

        @Override
        public void advance(String label) {}

        @Override
        public void finish() {}
    };
}

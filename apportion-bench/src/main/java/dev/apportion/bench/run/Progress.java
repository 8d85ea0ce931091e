package dev.apportion.bench.run;

/** Receives progress of a benchmark run (called from worker threads; implementations synchronise). */
public interface Progress {
    /** A run of {@code total} work units starts. */
    void start(int total);

    /** One more unit is done; {@code label} says what it was. */
    void advance(String label);

    /**
     * A run of {@code total} work units of estimated cost {@code totalCost} (seconds of one core)
     * starts, of which {@code resumed} units ({@code resumedCost}) were read back from the journal.
     */
    default void start(int total, double totalCost, int resumed, double resumedCost) {
        start(total);
        for (int i = 0; i < resumed; i++) advance("resumed");
    }

    /** One more unit of estimated cost {@code cost} is done. */
    default void advance(String label, double cost) {
        advance(label);
    }

    /** One more unit was read back from the journal (it cost nothing now). */
    default void skip(double cost) {
        advance("resumed");
    }

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

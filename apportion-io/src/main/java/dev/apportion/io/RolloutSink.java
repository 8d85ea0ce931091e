package dev.apportion.io;

import dev.apportion.core.rollout.Rollouts;
import java.io.IOException;

/** Receives the chunks of a streamed read ({@link RolloutJsonl#stream}, {@link RolloutParquet#stream}), in file order. */
@FunctionalInterface
public interface RolloutSink {
    void accept(Rollouts chunk) throws IOException;
}

package dev.apportion.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class LmDelegateTest {
    @Test
    void benchSuiteLmIsRoutedToTheLmJarWithTheOtherArguments() {
        assertEquals(
                List.of("--seeds", "2", "--estimators", "grpo,delta"),
                LmDelegate.lmBenchArgs("bench", "--suite", "lm", "--seeds", "2", "--estimators", "grpo,delta"));
        assertEquals(List.of("--out", "x"), LmDelegate.lmBenchArgs("bench", "--out", "x", "--suite=lm"));
        assertNull(LmDelegate.lmBenchArgs("bench"), "the quick suite stays in this jar");
        assertNull(LmDelegate.lmBenchArgs("bench", "--suite", "quick"));
        assertNull(LmDelegate.lmBenchArgs("bench", "--suite", "full", "--seeds", "2"));
        assertNull(LmDelegate.lmBenchArgs("assign", "--suite", "lm"));
        assertNull(LmDelegate.lmBenchArgs());
    }
}

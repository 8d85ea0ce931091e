package dev.apportion.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TaskScheduleTest {
    @Test
    void zeroAndMinusOneMeanTheTaskDefault() {
        Experiment e = new Experiment();
        new CommandLine(e).parseArgs();
        assertEquals(1e-4, e.schedule.lr("addition"));
        assertEquals(3e-4, e.schedule.lr("tool"));
        assertEquals(4, e.schedule.ppoEpochs("addition"));
        assertEquals(1, e.schedule.ppoEpochs("countdown"));
        assertEquals(800, e.schedule.warmupSteps("addition"));
        assertEquals(600, e.schedule.warmupSteps("tool"));
        assertEquals(400, e.schedule.warmupSteps("reversal"));
    }

    @Test
    void givenValuesWinOnEveryTaskInBothCommands() {
        for (Object cmd : new Object[] {new Experiment(), new LmTrainCommand()}) {
            new CommandLine(cmd).parseArgs("--lr", "0.01", "--ppo-epochs", "3", "--warmup-steps", "0");
            TaskSchedule s = cmd instanceof Experiment x ? x.schedule : ((LmTrainCommand) cmd).schedule;
            assertEquals(0.01, s.lr("addition"));
            assertEquals(3, s.ppoEpochs("addition"));
            assertEquals(0, s.warmupSteps("tool"));
        }
    }
}

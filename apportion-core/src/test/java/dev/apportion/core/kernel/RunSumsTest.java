package dev.apportion.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RunSumsTest {
    @Test
    void equalsThePlainBackwardLoopBitForBit() {
        SplittableRandom r = new SplittableRandom(11);
        for (int trial = 0; trial < 200; trial++) {
            int runs = r.nextInt(13);
            int[] end = new int[runs];
            int[] length = new int[runs];
            int pos = 0;
            for (int k = 0; k < runs; k++) {
                length[k] = r.nextInt(4) == 0 ? 0 : r.nextInt(70);
                pos += r.nextInt(3) + length[k];
                end[k] = pos - 1;
            }
            float[] x = new float[pos + 1];
            for (int i = 0; i < x.length; i++)
                x[i] = (float) ((r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(12) - 6));
            double[] got = new double[runs];
            RunSums.backward(x, end, length, runs, got);
            for (int k = 0; k < runs; k++) {
                double want = 0;
                for (int t = end[k]; t > end[k] - length[k]; t--) want += x[t];
                assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(got[k]), "run " + k);
            }
        }
    }

    /**
     * The blocked variant gives the same sums: many short runs (several blocks of 64), long runs (a block
     * cut by its width), empty runs, ascending and shuffled.
     */
    @Test
    void touchedEqualsThePlainBackwardLoopBitForBit() {
        SplittableRandom r = new SplittableRandom(14);
        for (int trial = 0; trial < 60; trial++) {
            int runs = r.nextInt(300);
            int[] end = new int[runs];
            int[] length = new int[runs];
            int pos = 0;
            for (int k = 0; k < runs; k++) {
                length[k] = r.nextInt(5) == 0 ? 0 : trial % 3 == 0 ? r.nextInt(9000) : r.nextInt(200);
                pos += r.nextInt(30) + length[k];
                end[k] = pos - 1;
            }
            if (trial % 2 == 1) {
                for (int k = runs - 1; k > 0; k--) {
                    int j = r.nextInt(k + 1);
                    int e = end[k];
                    end[k] = end[j];
                    end[j] = e;
                    int l = length[k];
                    length[k] = length[j];
                    length[j] = l;
                }
            }
            float[] x = new float[pos + 1];
            for (int i = 0; i < x.length; i++)
                x[i] = (float) ((r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(12) - 6));
            double[] got = new double[runs];
            RunSums.backwardTouched(x, end, length, runs, got);
            for (int k = 0; k < runs; k++) {
                double want = 0;
                for (int t = end[k]; t > end[k] - length[k]; t--) want += x[t];
                assertEquals(
                        Double.doubleToRawLongBits(want),
                        Double.doubleToRawLongBits(got[k]),
                        "trial " + trial + " run " + k);
            }
        }
    }
}

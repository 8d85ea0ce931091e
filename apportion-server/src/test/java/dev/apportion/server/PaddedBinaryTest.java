package dev.apportion.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.rollout.Rollouts;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The binary layout of docs/binary-format.md: decoding, the batch it becomes, every malformed body. */
class PaddedBinaryTest {
    @Test
    void decodesTheDocumentedLayout() {
        TestBatches.Padded p = TestBatches.padded(2, 3, 5, 1);
        PaddedBinary.Batch b = PaddedBinary.read(p.body(false), 1000);
        assertEquals(6, b.rows());
        assertEquals(5, b.length());
        assertArrayEquals(p.index(), b.index());
        assertArrayEquals(p.mask(), b.mask());
        assertArrayEquals(p.scores(), b.rowArrays().get("outcome"));
        assertTrue(b.tokenArrays().isEmpty());
        Rollouts r = b.toRollouts();
        assertEquals(6, r.trajectoryCount());
        assertEquals(30, r.tokenCount());
        assertEquals("row4", r.trajectoryId(4));
        assertEquals("1", r.groupKey(r.trajectoryGroup(4)));
        for (int i = 0; i < 6; i++) {
            for (int t = 0; t < 5; t++) assertEquals(p.mask()[i * 5 + t], r.mask()[r.tokenStart(i) + t]);
            assertEquals(p.scores()[i], r.outcome()[i]);
        }
    }

    @Test
    void namedArraysBecomeSignalsAndComponents() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int rows = 2;
        int len = 3;
        ByteBuffer h = TestBatches.le(24);
        h.put(new byte[] {'A', 'P', 'B', '1'})
                .putInt(1)
                .putInt(rows)
                .putInt(len)
                .putInt(2)
                .putInt(1);
        out.writeBytes(h.array());
        out.writeBytes(TestBatches.le(8).putInt(0).putInt(0).array());
        out.writeBytes(new byte[] {1, 1, 0, 1, 0, 0});
        while (out.size() % 4 != 0) out.write(0);
        TestBatches.array(out, "outcome.accuracy", new float[] {1, 0});
        TestBatches.array(out, "reward_baseline", new float[] {0.5f, Float.NaN});
        TestBatches.array(out, "logprob", new float[] {-1, -2, -3, -4, -5, -6});
        Rollouts r = PaddedBinary.read(out.toByteArray(), 100).toRollouts();
        assertArrayEquals(new float[] {1, 0}, r.outcomeComponents().get("accuracy"));
        assertEquals(0.5f, r.trajectorySignal("reward_baseline")[0]);
        assertTrue(Float.isNaN(r.trajectorySignal("reward_baseline")[1]));
        assertArrayEquals(new float[] {-1, -2, -3, -4, -5, -6}, r.tokenSignal("logprob"));
        assertNull(r.outcome());
    }

    @Test
    void creditRoundTrip() {
        float[] adv = {0.5f, -0.5f, 0f, 1f, 2f, 3f};
        float[] ret = {1, 2, 3, 4, 5, 6};
        byte[] body =
                PaddedBinary.writeCredit(2, 3, Credit.builder(adv).returns(ret).build());
        Map<String, float[]> got = CreditServerTest.decodeCredit(body, 2, 3);
        assertEquals(java.util.List.of("advantages", "returns"), java.util.List.copyOf(got.keySet()));
        assertArrayEquals(adv, got.get("advantages"));
        assertArrayEquals(ret, got.get("returns"));
        assertEquals(24 + (4 + 12 + 24) + (4 + 8 + 24), body.length);
    }

    @Test
    void everyMalformedBodyIs400WithAOneLineReason() {
        byte[] good = TestBatches.padded(2, 2, 6, 3).body(true);
        assertBad(Arrays.copyOf(good, 10), "fewer than the 24-byte header");
        assertBad(with(good, 0, (byte) 'Z'), "magic bytes");
        assertBad(withInt(good, 4, 2), "kind is 2");
        assertBad(withInt(good, 8, 0), "0 rows");
        assertBad(Arrays.copyOf(good, good.length - 1), "the body ");
        byte[] longer = Arrays.copyOf(good, good.length + 4);
        assertBad(longer, "4 bytes follow the last array");
        assertBad(withInt(good, 20, 2), "the header announces");
        int nameAt = 24 + 4 * 4 + 24; // header, index, mask (already a multiple of 4)
        assertBad(withInt(good, nameAt, 0), "1 to 256");
        ApiException big = assertThrows(ApiException.class, () -> PaddedBinary.read(good, 10));
        assertEquals(422, big.status());
        assertTrue(big.getMessage().contains("4 x 6 = 24 positions, more than the limit of 10"), big.getMessage());
    }

    private static void assertBad(byte[] body, String part) {
        ApiException e = assertThrows(ApiException.class, () -> PaddedBinary.read(body, 1 << 20));
        assertEquals(400, e.status(), e.getMessage());
        assertTrue(e.getMessage().startsWith("binary body: ") && e.getMessage().contains(part), e.getMessage());
        assertEquals(-1, e.getMessage().indexOf('\n'));
    }

    private static byte[] with(byte[] b, int at, byte v) {
        byte[] c = b.clone();
        c[at] = v;
        return c;
    }

    private static byte[] withInt(byte[] b, int at, int v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
        return c;
    }
}

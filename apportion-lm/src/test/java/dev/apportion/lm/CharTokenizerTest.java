package dev.apportion.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CharTokenizerTest {
    @Test
    void roundTripsEveryCharacterAndTaskText() {
        assertEquals(CharTokenizer.CHARS, CharTokenizer.decode(CharTokenizer.encode(CharTokenizer.CHARS)));
        SplittableRandom r = new SplittableRandom(3);
        for (String name : new String[] {"addition", "reversal", "countdown", "tool"}) {
            Task t = Task.named(name, 0);
            for (int k = 0; k < 50; k++) {
                Task.Problem p = t.sample(r);
                for (String s : p.demonstration()) assertEquals(s, CharTokenizer.decode(CharTokenizer.encode(s)));
                assertEquals(p.prompt(), CharTokenizer.decode(CharTokenizer.encode(p.prompt())));
            }
        }
    }

    @Test
    void specialsAreDroppedAndIdsAreDistinct() {
        int[] ids = {
            CharTokenizer.BOS, CharTokenizer.id('1'), CharTokenizer.id('+'), CharTokenizer.EOS, CharTokenizer.PAD
        };
        assertEquals("1+", CharTokenizer.decode(ids));
        assertEquals(CharTokenizer.CHARS.length() + 3, CharTokenizer.vocabSize());
        assertEquals("<eos>", CharTokenizer.piece(CharTokenizer.EOS));
    }

    @Test
    void unknownCharacterIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CharTokenizer.encode("12/3"));
        assertTrue(e.getMessage().contains("position 2") && e.getMessage().contains("'/'"), e.getMessage());
    }
}

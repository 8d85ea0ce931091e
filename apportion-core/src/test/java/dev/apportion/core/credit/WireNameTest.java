package dev.apportion.core.credit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Choice parameters declared from enums, with explicit wire names and with the lower-case rule. */
class WireNameTest {
    /** Hyphenated wire names (as dapo's loss_agg). */
    enum Agg implements WireName {
        TOKEN_MEAN("token-mean"),
        SEQ_MEAN_TOKEN_MEAN("seq-mean-token-mean");

        private final String wire;

        Agg(String wire) {
            this.wire = wire;
        }

        @Override
        public String wire() {
            return wire;
        }
    }

    /** Mixed case (as delta's impl). */
    enum Impl implements WireName {
        NORMAL("Normal"),
        MEMORY_EFFICIENT("Memory_efficient");

        private final String wire;

        Impl(String wire) {
            this.wire = wire;
        }

        @Override
        public String wire() {
            return wire;
        }
    }

    /** Upper case, the constant names themselves (as pure's reward_mode). */
    enum Upper implements WireName {
        PRM,
        VR,
        PRMVR;

        @Override
        public String wire() {
            return name();
        }
    }

    /** No WireName: the lower-case rule. */
    enum Plain {
        NONZERO_REWARD,
        POLICY_SPANS
    }

    private static final Descriptor D = Descriptor.builder("demo")
            .parameters(
                    ParamSpec.choice("loss_agg", Agg.TOKEN_MEAN, "loss aggregation"),
                    ParamSpec.choice("impl", Impl.NORMAL, "distance form"),
                    ParamSpec.choice("reward_mode", Upper.PRMVR, "reward sources"),
                    ParamSpec.choice("turn_boundaries", Plain.NONZERO_REWARD, "turn ends"))
            .preset("memory", Map.of("impl", Impl.MEMORY_EFFICIENT.wire()))
            .build();

    private static ParamSpec spec(String name) {
        for (ParamSpec p : D.parameters()) if (p.name().equals(name)) return p;
        throw new AssertionError(name);
    }

    @Test
    void choicesAreTheWireNamesInDeclarationOrder() {
        assertEquals(
                List.of("token-mean", "seq-mean-token-mean"), spec("loss_agg").choices());
        assertEquals(List.of("Normal", "Memory_efficient"), spec("impl").choices());
        assertEquals(List.of("PRM", "VR", "PRMVR"), spec("reward_mode").choices());
        assertEquals(
                List.of("nonzero_reward", "policy_spans"),
                spec("turn_boundaries").choices());
        assertEquals("token-mean", spec("loss_agg").defaultValue());
        assertEquals("Normal", spec("impl").defaultValue());
        assertEquals("PRMVR", spec("reward_mode").defaultValue());
        assertEquals("nonzero_reward", spec("turn_boundaries").defaultValue());
        assertEquals(ParamSpec.Type.CHOICE, spec("loss_agg").type());
    }

    @Test
    void everyWireNameRoundTrips() {
        roundTrip("loss_agg", Agg.class);
        roundTrip("impl", Impl.class);
        roundTrip("reward_mode", Upper.class);
        roundTrip("turn_boundaries", Plain.class);
        Params d = Params.defaults(D);
        assertSame(Agg.TOKEN_MEAN, d.getChoice("loss_agg", Agg.class));
        assertSame(Impl.NORMAL, d.getChoice("impl", Impl.class));
        assertSame(Upper.PRMVR, d.getChoice("reward_mode", Upper.class));
        assertSame(Plain.NONZERO_REWARD, d.getChoice("turn_boundaries", Plain.class));
        assertSame(Impl.MEMORY_EFFICIENT, Params.resolve(D, "memory", Map.of()).getChoice("impl", Impl.class));
    }

    private static <E extends Enum<E>> void roundTrip(String name, Class<E> type) {
        List<String> seen = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            String wire = WireName.of(e);
            Params p = Params.resolve(D, null, Map.of(name, wire));
            assertSame(e, p.getChoice(name, type), name + " = " + wire);
            assertEquals(wire, p.getString(name), "the string API reads the wire name");
            seen.add(wire);
        }
        assertEquals(spec(name).choices(), seen);
    }

    @Test
    void nearMissesAreRejectedWithTheUsualMessage() {
        assertEquals(
                "estimator 'demo': parameter 'loss_agg' must be one of [token-mean, seq-mean-token-mean], got 'Token-mean'",
                reject("loss_agg", "Token-mean"));
        reject("loss_agg", "token_mean");
        reject("loss_agg", "TOKEN_MEAN");
        reject("loss_agg", "token-mean ");
        assertEquals(
                "estimator 'demo': parameter 'impl' must be one of [Normal, Memory_efficient], got 'memory_efficient'",
                reject("impl", "memory_efficient"));
        reject("impl", "NORMAL");
        reject("impl", "normal");
        assertEquals(
                "estimator 'demo': parameter 'reward_mode' must be one of [PRM, VR, PRMVR], got 'prm'",
                reject("reward_mode", "prm"));
        reject("reward_mode", "Prmvr");
        reject("turn_boundaries", "POLICY_SPANS");
        reject("turn_boundaries", "policy-spans");
    }

    private static String reject(String name, String value) {
        return assertThrows(
                        IllegalArgumentException.class,
                        () -> Params.resolve(D, null, Map.of(name, value)),
                        name + " = '" + value + "'")
                .getMessage();
    }

    enum Clash implements WireName {
        A,
        B;

        @Override
        public String wire() {
            return "same";
        }
    }

    enum Empty implements WireName {
        A;

        @Override
        public String wire() {
            return "";
        }
    }

    @Test
    void duplicateOrEmptyWireNamesFailAtDeclaration() {
        assertEquals(
                "parameter 'x': Clash.B has the duplicate wire name 'same'",
                assertThrows(IllegalArgumentException.class, () -> ParamSpec.choice("x", Clash.A, "x"))
                        .getMessage());
        assertEquals(
                "parameter 'x': Empty.A has an empty wire name ''",
                assertThrows(IllegalArgumentException.class, () -> ParamSpec.choice("x", Empty.A, "x"))
                        .getMessage());
    }

    @Test
    void aConstantOfTheWrongFamilyIsABug() {
        Params p = Params.defaults(D);
        assertThrows(IllegalStateException.class, () -> p.getChoice("loss_agg", Plain.class));
    }
}

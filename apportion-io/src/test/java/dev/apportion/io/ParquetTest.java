package dev.apportion.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.RandomBatches;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rollouts and credit as Parquet: lossless JSONL ⇄ Parquet, streaming, and bad files. */
class ParquetTest {
    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("examples"))) p = p.getParent();
        return p;
    }

    /** JSONL → Parquet → JSONL gives the same batch as the original JSONL, and so does reading the Parquet. */
    private static void assertRoundTrip(Path jsonl, Path dir, int chunk) throws IOException {
        Rollouts original = RolloutJsonl.read(jsonl);
        Path pq = dir.resolve(jsonl.getFileName() + ".parquet");
        Path back = dir.resolve(jsonl.getFileName() + ".back.jsonl");
        long[] n = RolloutFiles.convert(jsonl, pq, chunk);
        assertEquals(original.trajectoryCount(), n[0]);
        assertEquals(original.tokenCount(), n[1]);
        RoundTripTest.assertSameBatch(original, RolloutParquet.read(pq));
        RolloutFiles.convert(pq, back, chunk);
        RoundTripTest.assertSameBatch(original, RolloutJsonl.read(back));
    }

    @Test
    void examplesRoundTrip(@TempDir Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(repoRoot().resolve("examples"))) {
            files = s.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
        }
        assertFalse(files.isEmpty());
        for (Path f : files) assertRoundTrip(f, dir, RolloutFiles.CHUNK);
    }

    @Test
    void everyFieldKindRoundTripsInSmallChunks(@TempDir Path dir) throws IOException {
        // scalar outcomes, trajectory/span/token signals, states, agents, span rewards, text, empty spans
        Rollouts b = RandomBatches.build(
                RandomBatches.trajectories(7, new RandomBatches.Options(9, 1, 6, false, true, true, true)));
        Path f = dir.resolve("random.jsonl");
        RolloutJsonl.write(f, b);
        assertRoundTrip(f, dir, 5);
        // outcome components with null, reward on some lines only, implicit spans, unicode text, a zero-token
        // trajectory
        Path g = dir.resolve("components.jsonl");
        Files.writeString(
                g,
                String.join(
                        "\n",
                        "{\"group\":\"p\",\"id\":\"a\",\"outcome\":{\"acc\":1,\"fmt\":null},\"signals\":{\"reward_baseline\":0.1},"
                                + "\"spans\":[{\"role\":\"context\",\"tokens\":1,\"state\":\"s\"},{\"role\":\"policy\",\"tokens\":2,\"reward\":0.5,"
                                + "\"agent\":\"x\",\"signals\":{\"prm\":0.3}},{\"role\":\"policy\",\"tokens\":0}],"
                                + "\"token_signals\":{\"logprob\":[-1,-0.1,-0.2]},\"text\":[\"a\",\"b\",\"c\"]}",
                        "{\"group\":\"q\",\"tokens\":2,\"outcome\":{\"fmt\":0.25},\"token_signals\":{\"logprob\":[-3,-4],\"reward\":[0,1]},"
                                + "\"text\":[\"\\u00e9\\ud83d\\ude00\",\"\\n\"]}",
                        "{\"group\":\"q\",\"id\":\"z\",\"tokens\":0,\"token_signals\":{\"logprob\":[]},\"text\":[]}",
                        ""));
        assertRoundTrip(g, dir, 1);
        assertRoundTrip(g, dir, 100);
    }

    @Test
    void manyRowGroupsStreamInChunks(@TempDir Path dir) throws IOException {
        Rollouts b = RandomBatches.build(
                RandomBatches.trajectories(3, new RandomBatches.Options(300, 2, 8, true, true, true, false)));
        Path pq = dir.resolve("big.parquet");
        try (RolloutParquet.Writer w = new RolloutParquet.Writer(pq, b.tokenSignalNames(), 16 << 10)) {
            w.write(b);
            w.commit();
        }
        int rowGroups;
        try (ParquetFileReader r = ParquetFiles.open(pq, pq.toString())) {
            rowGroups = r.getRowGroups().size();
        }
        assertTrue(rowGroups >= 10, "row groups: " + rowGroups);
        List<Integer> sizes = new ArrayList<>();
        int[] tokens = {0};
        RolloutParquet.stream(pq, 64, c -> {
            sizes.add(c.trajectoryCount());
            tokens[0] += c.tokenCount();
        });
        assertEquals(b.tokenCount(), tokens[0]);
        assertEquals(
                b.trajectoryCount(), sizes.stream().mapToInt(Integer::intValue).sum());
        assertTrue(sizes.stream().allMatch(s -> s <= 64), sizes.toString());
        RoundTripTest.assertSameBatch(b, RolloutParquet.read(pq));
    }

    @Test
    void metadataAndSchemaAreDocumented(@TempDir Path dir) throws IOException {
        Path pq = dir.resolve("x.parquet");
        RolloutParquet.write(pq, RolloutJsonl.read(repoRoot().resolve("examples/two-groups.jsonl")));
        try (ParquetFileReader r = ParquetFiles.open(pq, pq.toString())) {
            Map<String, String> meta = r.getFileMetaData().getKeyValueMetaData();
            assertEquals("rollouts", meta.get("apportion.kind"));
            assertEquals("1", meta.get("apportion.format"));
            MessageType schema = r.getFileMetaData().getSchema();
            assertEquals(
                    RolloutParquet.COLUMNS,
                    schema.getFields().stream().map(t -> t.getName()).toList());
        }
        String doc = Files.readString(repoRoot().resolve("docs/rollout-format.md"));
        for (String c : RolloutParquet.COLUMNS) assertTrue(doc.contains("`" + c + "`"), c);
        assertTrue(doc.contains("apportion.kind"));
    }

    @Test
    void creditRoundTripsWithProvenance(@TempDir Path dir) throws IOException {
        Rollouts b = Rollouts.builder()
                .trajectory("p", "a")
                .span(Role.CONTEXT, 2)
                .span(Role.POLICY, 3)
                .trajectory("p", "b")
                .span(Role.POLICY, 2)
                .build();
        float[] adv = {0, 0, 0.5f, 0.5f, 0.5f, -0.5f, -0.25f};
        Credit c =
                Credit.builder(adv).spanAdvantages(new float[] {0, 0.5f, -0.5f}).build();
        Path out = dir.resolve("credit.parquet");
        CreditParquet.write(out, b, c, Map.of("apportion.estimator", "grpo"));
        CreditParquet.Table t = CreditParquet.read(out);
        assertEquals(List.of("p", "p"), t.groups());
        assertEquals(List.of("a", "b"), t.ids());
        assertArrayEquals(
                new float[] {0, 0, 0.5f, 0.5f, 0.5f},
                t.columns().get("advantages").get(0));
        assertArrayEquals(
                new float[] {-0.5f, -0.25f}, t.columns().get("advantages").get(1));
        assertArrayEquals(
                new float[] {-0.5f}, t.columns().get("span_advantages").get(1));
        assertEquals(
                List.of("advantages", "span_advantages"),
                List.copyOf(t.columns().keySet()));
        assertEquals("grpo", t.metadata().get("apportion.estimator"));
        assertEquals("credit", t.metadata().get("apportion.kind"));
        adv[3] = Float.NaN;
        Path bad = dir.resolve("bad.parquet");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> CreditParquet.write(bad, b, c, Map.of()));
        assertEquals(
                "trajectory 0 (id 'a', group 'p'): advantages[3] is NaN; only finite numbers can be written",
                e.getMessage());
        assertFalse(Files.exists(bad));
    }

    // ---- bad files -----------------------------------------------------------------------------

    private static InputException refused(Path file) {
        InputException e = assertThrows(InputException.class, () -> RolloutParquet.read(file));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        return e;
    }

    @Test
    void truncatedFilesAreRefusedInOneLine(@TempDir Path dir) throws IOException {
        Path pq = dir.resolve("x.parquet");
        RolloutParquet.write(pq, RandomBatches.batch(2));
        byte[] all = Files.readAllBytes(pq);
        for (int keep : new int[] {0, 3, all.length / 2, all.length - 1}) {
            Path cut = dir.resolve("cut" + keep + ".parquet");
            Files.write(cut, Arrays.copyOf(all, keep));
            InputException e = refused(cut);
            assertTrue(
                    e.getMessage().contains("not a readable Parquet file (truncated or not Parquet)"), e.getMessage());
        }
        Path jsonl = dir.resolve("text.parquet");
        Files.writeString(jsonl, "{\"group\":\"g\",\"tokens\":1}\n");
        refused(jsonl);
    }

    /** Writes a file with a hand-made schema through the generic example writer of parquet-java. */
    private static Path withSchema(
            Path dir,
            String name,
            String schema,
            java.util.function.Consumer<org.apache.parquet.example.data.Group> row)
            throws IOException {
        MessageType t = MessageTypeParser.parseMessageType(schema);
        Path f = dir.resolve(name);
        try (org.apache.parquet.hadoop.ParquetWriter<org.apache.parquet.example.data.Group> w =
                org.apache.parquet.hadoop.example.ExampleParquetWriter.builder(
                                new org.apache.parquet.io.LocalOutputFile(f))
                        .withConf(new org.apache.parquet.conf.PlainParquetConfiguration())
                        .withType(t)
                        .build()) {
            org.apache.parquet.example.data.Group g =
                    new org.apache.parquet.example.data.simple.SimpleGroupFactory(t).newGroup();
            row.accept(g);
            w.write(g);
        }
        return f;
    }

    @Test
    void schemaMismatchesNameTheColumn(@TempDir Path dir) throws IOException {
        Path f = withSchema(
                dir,
                "a.parquet",
                "message m { required binary group (STRING); required float tokens; }",
                g -> g.append("group", "g").append("tokens", 1f));
        assertEquals(
                f + ": column tokens: must be an integer (int32), got required float tokens"
                        + " (the rollout Parquet schema is in docs/rollout-format.md)",
                refused(f).getMessage());
        Path u = withSchema(
                dir,
                "b.parquet",
                "message m { required binary group (STRING); required int32 tokens; required int32 spams; }",
                g -> g.append("group", "g").append("tokens", 1).append("spams", 2));
        assertEquals(
                u
                        + ": column spams is not a rollout column (known columns: group, id, tokens, outcome, outcome_components, "
                        + "signals, spans, token_signals, text)",
                refused(u).getMessage());
        Path l = withSchema(
                dir,
                "c.parquet",
                "message m { required binary group (STRING); required int32 tokens;"
                        + " optional group token_signals { optional binary logprob (STRING); } }",
                g -> g.append("group", "g").append("tokens", 1));
        assertTrue(refused(l).getMessage().startsWith(l + ": column token_signals.logprob: must be a list of floats"));
        // a minimal foreign file with the right columns reads
        Path ok = withSchema(
                dir,
                "d.parquet",
                "message m { required binary group (STRING); optional int64 tokens; optional double outcome; }",
                g -> g.append("group", "g").append("tokens", 3L).append("outcome", 0.5));
        Rollouts b = RolloutParquet.read(ok);
        assertEquals(3, b.tokenCount());
        assertEquals(0.5f, b.outcome()[0]);
        assertEquals("1", b.trajectoryId(0));
    }

    @Test
    void badRowsNameRowTrajectoryAndColumn(@TempDir Path dir) throws IOException {
        Path jsonl = dir.resolve("x.jsonl");
        Files.writeString(
                jsonl, "{\"group\":\"g\",\"id\":\"a\",\"tokens\":1}\n{\"group\":\"g\",\"id\":\"b\",\"tokens\":2}\n");
        Rollouts ok = RolloutJsonl.read(jsonl);
        // a duplicate id written by hand (the writer cannot produce one from a valid batch)
        Path dup = withSchema(
                dir,
                "dup.parquet",
                "message m { required binary group (STRING); required binary id (STRING);"
                        + " required int32 tokens; }",
                g -> g.append("group", "g").append("id", "a").append("tokens", 1));
        assertEquals(1, RolloutParquet.read(dup).trajectoryCount());
        Path two = dir.resolve("two.parquet");
        MessageType t = MessageTypeParser.parseMessageType(
                "message m { required binary group (STRING); required binary id (STRING);"
                        + " required int32 tokens; optional group token_signals { optional group logprob (LIST) { repeated group list {"
                        + " required float element; } } } }");
        try (org.apache.parquet.hadoop.ParquetWriter<org.apache.parquet.example.data.Group> w =
                org.apache.parquet.hadoop.example.ExampleParquetWriter.builder(
                                new org.apache.parquet.io.LocalOutputFile(two))
                        .withConf(new org.apache.parquet.conf.PlainParquetConfiguration())
                        .withType(t)
                        .build()) {
            org.apache.parquet.example.data.simple.SimpleGroupFactory fac =
                    new org.apache.parquet.example.data.simple.SimpleGroupFactory(t);
            org.apache.parquet.example.data.Group a =
                    fac.newGroup().append("group", "g").append("id", "a").append("tokens", 2);
            org.apache.parquet.example.data.Group la =
                    a.addGroup("token_signals").addGroup("logprob");
            la.addGroup("list").append("element", -1f);
            la.addGroup("list").append("element", -2f);
            w.write(a);
            org.apache.parquet.example.data.Group b =
                    fac.newGroup().append("group", "g").append("id", "b").append("tokens", 2);
            b.addGroup("token_signals").addGroup("logprob").addGroup("list").append("element", -1f);
            w.write(b);
            w.write(fac.newGroup().append("group", "g").append("id", "a").append("tokens", 0));
        }
        assertEquals(
                two
                        + ": row 2: trajectory 'b' (group 'g'): column token_signals.logprob: has 1 values but the trajectory has 2 tokens",
                refused(two).getMessage());
        assertEquals(2, ok.trajectoryCount());
    }

    @Test
    void aNewerFormatIsRefused(@TempDir Path dir) throws IOException {
        MessageType t = MessageTypeParser.parseMessageType(
                "message m { required binary group (STRING); required int32 tokens; }");
        Path f = dir.resolve("v2.parquet");
        try (org.apache.parquet.hadoop.ParquetWriter<org.apache.parquet.example.data.Group> w =
                org.apache.parquet.hadoop.example.ExampleParquetWriter.builder(
                                new org.apache.parquet.io.LocalOutputFile(f))
                        .withConf(new org.apache.parquet.conf.PlainParquetConfiguration())
                        .withType(t)
                        .withExtraMetaData(Map.of("apportion.format", "2"))
                        .build()) {
            w.write(new org.apache.parquet.example.data.simple.SimpleGroupFactory(t)
                    .newGroup()
                    .append("group", "g")
                    .append("tokens", 1));
        }
        assertEquals(
                f + ": format version 2 is newer than this reader (supports up to 1)",
                refused(f).getMessage());
    }
}

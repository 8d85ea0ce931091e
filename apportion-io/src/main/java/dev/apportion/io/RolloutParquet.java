package dev.apportion.io;

import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Type.Repetition;
import org.apache.parquet.schema.Types;

/**
 * Rollouts as Parquet: one row per trajectory, mirroring rollout JSONL v1 (the schema is
 * documented in {@code docs/rollout-format.md}, section "Parquet").
 *
 * <pre>
 * message apportion_rollout {
 *   required binary group (STRING);
 *   required binary id (STRING);
 *   required int32 tokens;
 *   optional float outcome;
 *   optional group outcome_components (MAP) { repeated group key_value {
 *       required binary key (STRING); optional float value; } }
 *   optional group signals (MAP) { repeated group key_value {
 *       required binary key (STRING); required float value; } }
 *   required group spans (LIST) { repeated group list { required group element {
 *       required binary role (STRING); required int32 tokens; optional float reward;
 *       optional binary state (STRING); optional binary agent (STRING);
 *       optional group signals (MAP) { ... name -> float ... } } } }
 *   optional group token_signals {                       // one column per signal name
 *       optional group reward (LIST) { repeated group list { required float element; } }
 *       optional group logprob (LIST) { ... } ... }
 *   optional group text (LIST) { repeated group list { optional binary element (STRING); } }
 * }
 * </pre>
 *
 * <p>The file's key-value metadata holds the provenance: {@code apportion.kind} =
 * {@code rollouts}, {@code apportion.format} = 1 and {@code apportion.writer}. The reader
 * accepts files written by others (Spark, pandas/pyarrow) with the same columns: optional
 * and required repetition alike, DOUBLE for FLOAT, INT64 for INT32, and {@code tokens} or
 * {@code spans} absent as in JSONL (no spans: one policy span of {@code tokens} tokens). It
 * applies every rule of the JSONL reader; a problem is an {@link InputException} of one
 * line naming file, row (1-based), trajectory and column. Reading streams row group by
 * row group ({@link #stream}); the writer keeps one row group (32 MiB) in memory.
 */
public final class RolloutParquet {
    /** Key-value metadata keys. */
    public static final String META_KIND = "apportion.kind";

    public static final String META_FORMAT = "apportion.format";
    public static final String META_WRITER = "apportion.writer";
    /**
     * Version of the rollout Parquet layout: rollout JSONL v1's fields. JSONL v2's
     * {@code token_vectors} and {@code token_matrices} have no Parquet columns yet; a batch with
     * them is refused by the writer.
     */
    public static final int FORMAT_VERSION = 1;

    /** Top-level columns, in schema order. */
    public static final List<String> COLUMNS = List.of(
            "group", "id", "tokens", "outcome", "outcome_components", "signals", "spans", "token_signals", "text");
    /** Fields of a span element. */
    public static final List<String> SPAN_FIELDS = List.of("role", "tokens", "reward", "state", "agent", "signals");

    private RolloutParquet() {}

    // ---- schema --------------------------------------------------------------------------------

    static Type string(Repetition r, String name) {
        return Types.primitive(PrimitiveTypeName.BINARY, r)
                .as(LogicalTypeAnnotation.stringType())
                .named(name);
    }

    static GroupType list(Repetition r, String name, Type element) {
        return Types.buildGroup(r)
                .as(LogicalTypeAnnotation.listType())
                .addField(new GroupType(Repetition.REPEATED, "list", element))
                .named(name);
    }

    static GroupType floatMap(Repetition r, String name, Repetition valueRepetition) {
        return Types.buildGroup(r)
                .as(LogicalTypeAnnotation.mapType())
                .addField(new GroupType(
                        Repetition.REPEATED,
                        "key_value",
                        string(Repetition.REQUIRED, "key"),
                        Types.primitive(PrimitiveTypeName.FLOAT, valueRepetition)
                                .named("value")))
                .named(name);
    }

    /** The schema the writer uses for a batch whose token signals are {@code tokenSignals} (plus reward). */
    public static MessageType schema(Collection<String> tokenSignals) {
        Set<String> names = new LinkedHashSet<>();
        names.add(Rollouts.REWARD);
        names.addAll(tokenSignals);
        List<Type> signalColumns = new ArrayList<>();
        for (String name : names) {
            signalColumns.add(list(
                    Repetition.OPTIONAL,
                    name,
                    Types.required(PrimitiveTypeName.FLOAT).named("element")));
        }
        GroupType span = new GroupType(
                Repetition.REQUIRED,
                "element",
                string(Repetition.REQUIRED, "role"),
                Types.required(PrimitiveTypeName.INT32).named("tokens"),
                Types.optional(PrimitiveTypeName.FLOAT).named("reward"),
                string(Repetition.OPTIONAL, "state"),
                string(Repetition.OPTIONAL, "agent"),
                floatMap(Repetition.OPTIONAL, "signals", Repetition.REQUIRED));
        return new MessageType(
                "apportion_rollout",
                string(Repetition.REQUIRED, "group"),
                string(Repetition.REQUIRED, "id"),
                Types.required(PrimitiveTypeName.INT32).named("tokens"),
                Types.optional(PrimitiveTypeName.FLOAT).named("outcome"),
                floatMap(Repetition.OPTIONAL, "outcome_components", Repetition.OPTIONAL),
                floatMap(Repetition.OPTIONAL, "signals", Repetition.REQUIRED),
                list(Repetition.REQUIRED, "spans", span),
                new GroupType(Repetition.OPTIONAL, "token_signals", signalColumns),
                list(Repetition.OPTIONAL, "text", string(Repetition.OPTIONAL, "element")));
    }

    // ---- writing -------------------------------------------------------------------------------

    /** Writes a batch as Parquet, atomically (temporary file, then rename). */
    public static void write(Path out, Rollouts batch) throws IOException {
        try (Writer w = new Writer(out, batch.tokenSignalNames())) {
            w.write(batch);
            w.commit();
        }
    }

    /**
     * Writes rollouts chunk by chunk into one Parquet file (for streamed conversion). The
     * token signal columns are fixed when the writer opens; {@link #commit()} finishes the
     * file and renames it onto the target, {@link #close()} without commit leaves nothing.
     */
    public static final class Writer implements AutoCloseable {
        private final Map<String, Integer> signals = new LinkedHashMap<>();
        private final ParquetFiles.AtomicWriter<Integer> out;
        private Rollouts current;

        public Writer(Path target, Collection<String> tokenSignals) throws IOException {
            this(target, tokenSignals, ParquetFiles.ROW_GROUP_BYTES);
        }

        /** A writer with row groups of about {@code rowGroupBytes} (tests use small ones). */
        Writer(Path target, Collection<String> tokenSignals, long rowGroupBytes) throws IOException {
            MessageType schema = schema(tokenSignals);
            for (Type t : schema.getType("token_signals").asGroupType().getFields())
                signals.put(t.getName(), signals.size());
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put(META_KIND, "rollouts");
            meta.put(META_FORMAT, Integer.toString(FORMAT_VERSION));
            meta.put(META_WRITER, "apportion");
            this.out = new ParquetFiles.AtomicWriter<>(
                    target, schema, meta, (c, i) -> writeRow(c, current, i, signals), rowGroupBytes);
        }

        /** Appends every trajectory of {@code chunk}. */
        public void write(Rollouts chunk) throws IOException {
            if (chunk.outcome() != null && !chunk.outcomeComponents().isEmpty()) {
                throw new IllegalArgumentException("the batch has both a scalar outcome and outcome components "
                        + chunk.outcomeComponents().keySet() + "; a rollout file holds one or the other");
            }
            if (!chunk.tokenVectorNames().isEmpty() || !chunk.tokenMatrixNames().isEmpty()) {
                java.util.Set<String> names = new java.util.TreeSet<>(chunk.tokenVectorNames());
                names.addAll(chunk.tokenMatrixNames());
                throw new IllegalArgumentException("token vectors and matrices " + names
                        + " (rollout JSONL v2) have no Parquet " + "columns yet; keep this batch in JSONL");
            }
            for (String name : chunk.tokenSignalNames()) {
                if (!signals.containsKey(name)) {
                    throw new IllegalArgumentException(
                            "token signal '" + name + "' is not among the file's columns " + signals.keySet());
                }
            }
            current = chunk;
            for (int i = 0; i < chunk.trajectoryCount(); i++) out.write(i);
            current = null;
        }

        public void commit() throws IOException {
            out.commit();
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    private static void writeRow(RecordConsumer c, Rollouts b, int i, Map<String, Integer> signalColumns) {
        ParquetFiles.string(c, "group", 0, b.groupKey(b.trajectoryGroup(i)));
        ParquetFiles.string(c, "id", 1, b.trajectoryId(i));
        int from = b.tokenStart(i);
        int to = b.tokenEnd(i);
        ParquetFiles.intValue(c, "tokens", 2, to - from);
        if (b.outcome() != null && !Float.isNaN(b.outcome()[i]))
            ParquetFiles.floatValue(c, "outcome", 3, b.outcome()[i]);
        if (!b.outcomeComponents().isEmpty()) {
            c.startField("outcome_components", 4);
            c.startGroup();
            c.startField("key_value", 0);
            for (Map.Entry<String, float[]> e : b.outcomeComponents().entrySet()) {
                c.startGroup();
                ParquetFiles.string(c, "key", 0, e.getKey());
                float v = e.getValue()[i];
                if (!Float.isNaN(v)) ParquetFiles.floatValue(c, "value", 1, v);
                c.endGroup();
            }
            c.endField("key_value", 0);
            c.endGroup();
            c.endField("outcome_components", 4);
        }
        writeSignalMap(c, "signals", 5, b.trajectorySignals(), i);
        c.startField("spans", 6);
        c.startGroup();
        if (b.spanEnd(i) > b.spanStart(i)) {
            c.startField("list", 0);
            float[] reward = b.spanReward();
            String[] state = b.spanState();
            String[] agent = b.spanAgent();
            for (int s = b.spanStart(i); s < b.spanEnd(i); s++) {
                c.startGroup();
                c.startField("element", 0);
                c.startGroup();
                ParquetFiles.string(c, "role", 0, b.spanRole(s).wireName());
                ParquetFiles.intValue(c, "tokens", 1, b.spanTokenEnd(s) - b.spanTokenStart(s));
                if (reward != null && !Float.isNaN(reward[s])) ParquetFiles.floatValue(c, "reward", 2, reward[s]);
                if (state != null && state[s] != null) ParquetFiles.string(c, "state", 3, state[s]);
                if (agent != null && agent[s] != null) ParquetFiles.string(c, "agent", 4, agent[s]);
                writeSignalMap(c, "signals", 5, b.spanSignals(), s);
                c.endGroup();
                c.endField("element", 0);
                c.endGroup();
            }
            c.endField("list", 0);
        }
        c.endGroup();
        c.endField("spans", 6);
        if (!b.tokenSignals().isEmpty()) {
            c.startField("token_signals", 7);
            c.startGroup();
            // fields of a group are written in schema order
            for (Map.Entry<String, Integer> col : signalColumns.entrySet()) {
                float[] v = b.tokenSignals().get(col.getKey());
                if (v != null) ParquetFiles.floatList(c, col.getKey(), col.getValue(), v, from, to);
            }
            c.endGroup();
            c.endField("token_signals", 7);
        }
        String[] text = b.tokenText();
        if (text != null) {
            c.startField("text", 8);
            c.startGroup();
            if (to > from) {
                c.startField("list", 0);
                for (int t = from; t < to; t++) {
                    c.startGroup();
                    if (text[t] != null) ParquetFiles.string(c, "element", 0, text[t]);
                    c.endGroup();
                }
                c.endField("list", 0);
            }
            c.endGroup();
            c.endField("text", 8);
        }
    }

    private static void writeSignalMap(
            RecordConsumer c, String field, int index, Map<String, float[]> signals, int at) {
        boolean any = false;
        for (Map.Entry<String, float[]> e : signals.entrySet()) {
            float v = e.getValue()[at];
            if (Float.isNaN(v)) continue;
            if (!any) {
                c.startField(field, index);
                c.startGroup();
                c.startField("key_value", 0);
                any = true;
            }
            c.startGroup();
            ParquetFiles.string(c, "key", 0, e.getKey());
            ParquetFiles.floatValue(c, "value", 1, v);
            c.endGroup();
        }
        if (any) {
            c.endField("key_value", 0);
            c.endGroup();
            c.endField(field, index);
        }
    }

    // ---- reading -------------------------------------------------------------------------------

    /** Reads a whole rollout Parquet file into one batch. */
    public static Rollouts read(Path file) throws IOException {
        Rollouts[] out = new Rollouts[1];
        stream(file, Integer.MAX_VALUE, b -> out[0] = b);
        return out[0];
    }

    /**
     * Reads a rollout Parquet file in chunks of at most {@code chunkRows} trajectories, one
     * row group at a time; memory is bounded by one row group plus one chunk. Checks that
     * span rows (duplicate ids within a group, the same token signals on every row, one
     * outcome form) hold across chunks.
     */
    public static void stream(Path file, int chunkRows, RolloutSink sink) throws IOException {
        String source = file.toString();
        try (ParquetFileReader reader = ParquetFiles.open(file, source)) {
            Map<String, String> meta = reader.getFileMetaData().getKeyValueMetaData();
            String format = meta.get(META_FORMAT);
            if (format != null) {
                int v;
                try {
                    v = Integer.parseInt(format.trim());
                } catch (NumberFormatException e) {
                    throw new InputException(
                            source,
                            0,
                            null,
                            "file metadata " + META_FORMAT + " must be a whole number, got '" + format + "'");
                }
                if (v > FORMAT_VERSION) {
                    throw new InputException(
                            source,
                            0,
                            null,
                            "format version " + v + " is newer than this reader (supports up to " + FORMAT_VERSION
                                    + ")");
                }
            }
            MessageType schema = reader.getFileMetaData().getSchema();
            RowConverter row = new RowConverter(source, schema);
            Assembler asm = new Assembler(source, chunkRows, sink);
            ParquetFiles.readAll(reader, source, schema, row, r -> asm.add(row, r));
            asm.finish();
        }
    }

    /** One row's values, filled by the converters. */
    private static final class RowConverter extends GroupConverter {
        private final String source;
        private final Converter[] children;
        // values of the current row
        String group;
        String id;
        boolean hasTokens;
        long tokens;
        boolean hasOutcome;
        float outcome;
        final NamedFloats components = new NamedFloats();
        boolean hasComponents;
        final NamedFloats signals = new NamedFloats();
        boolean hasSpans;
        int spanCount;
        String[] role = new String[8];
        long[] spanTokens = new long[8];
        boolean[] spanHasTokens = new boolean[8];
        float[] spanReward = new float[8];
        String[] spanState = new String[8];
        String[] spanAgent = new String[8];
        /** Span signals: owning span, name, value. */
        final NamedFloats spanSignals = new NamedFloats();

        int[] spanSignalOwner = new int[8];
        final List<String> tokenSignalNames = new ArrayList<>();
        final List<ParquetFiles.FloatListConverter> tokenSignalColumns = new ArrayList<>();
        boolean hasText;
        final List<String> text = new ArrayList<>();
        int textNulls;

        RowConverter(String source, MessageType schema) {
            this.source = source;
            this.children = new Converter[schema.getFieldCount()];
            for (int k = 0; k < schema.getFieldCount(); k++) children[k] = child(schema.getType(k));
        }

        private InputException schemaError(String column, String detail) {
            return new InputException(
                    source,
                    0,
                    column,
                    "column " + column + ": " + detail + " (the rollout Parquet schema is in docs/rollout-format.md)");
        }

        private Converter child(Type t) {
            String name = t.getName();
            if (t.isRepetition(Repetition.REPEATED)) throw schemaError(name, "must not be repeated");
            switch (name) {
                case "group":
                case "id":
                    if (!ParquetFiles.isString(t)) throw schemaError(name, "must be a string (binary), got " + t);
                    return new ParquetFiles.StringConverter() {
                        @Override
                        void set(String v) {
                            if (name.equals("group")) group = v;
                            else id = v;
                        }
                    };
                case "tokens":
                    if (!ParquetFiles.isInt(t)) throw schemaError(name, "must be an integer (int32), got " + t);
                    return new IntConverter() {
                        @Override
                        void set(long v) {
                            hasTokens = true;
                            tokens = v;
                        }
                    };
                case "outcome":
                    if (!ParquetFiles.isFloat(t)) throw schemaError(name, "must be a float, got " + t);
                    return new ParquetFiles.FloatConverter() {
                        @Override
                        void set(float v) {
                            hasOutcome = true;
                            outcome = v;
                        }
                    };
                case "outcome_components":
                case "signals": {
                    Type value = ParquetFiles.mapValue(t);
                    if (value == null || !ParquetFiles.isFloat(value)) {
                        throw schemaError(
                                name,
                                "must be a map from string to float, got "
                                        + t.toString().replace('\n', ' '));
                    }
                    NamedFloats target = name.equals("signals") ? signals : components;
                    return new MapConverter(
                            target, name.equals("outcome_components") ? () -> hasComponents = true : () -> {});
                }
                case "spans":
                    return spansConverter(t);
                case "token_signals": {
                    if (t.isPrimitive()) throw schemaError(name, "must be a group of float lists, got " + t);
                    GroupType g = t.asGroupType();
                    Converter[] cols = new Converter[g.getFieldCount()];
                    for (int k = 0; k < g.getFieldCount(); k++) {
                        Type col = g.getType(k);
                        Type el = ParquetFiles.listElement(col);
                        if (el == null || !ParquetFiles.isFloat(el)) {
                            throw schemaError(
                                    "token_signals." + col.getName(),
                                    "must be a list of floats, got "
                                            + col.toString().replace('\n', ' '));
                        }
                        ParquetFiles.FloatListConverter fl = new ParquetFiles.FloatListConverter();
                        tokenSignalNames.add(col.getName());
                        tokenSignalColumns.add(fl);
                        cols[k] = fl;
                    }
                    return new GroupConverter() {
                        @Override
                        public Converter getConverter(int fieldIndex) {
                            return cols[fieldIndex];
                        }

                        @Override
                        public void start() {}

                        @Override
                        public void end() {}
                    };
                }
                case "text": {
                    Type el = ParquetFiles.listElement(t);
                    if (el == null || !ParquetFiles.isString(el))
                        throw schemaError(
                                name,
                                "must be a list of strings, got " + t.toString().replace('\n', ' '));
                    return new ListConverter(
                            new ParquetFiles.StringConverter() {
                                @Override
                                void set(String v) {
                                    text.set(text.size() - 1, v);
                                }
                            },
                            () -> hasText = true,
                            () -> text.add(null));
                }
                default:
                    throw new InputException(
                            source,
                            0,
                            name,
                            "column " + name + " is not a rollout column (known columns: " + String.join(", ", COLUMNS)
                                    + ")");
            }
        }

        private Converter spansConverter(Type t) {
            Type el = ParquetFiles.listElement(t);
            if (el == null || el.isPrimitive())
                throw schemaError(
                        "spans",
                        "must be a list of span structs, got " + t.toString().replace('\n', ' '));
            GroupType span = el.asGroupType();
            Converter[] fields = new Converter[span.getFieldCount()];
            for (int k = 0; k < span.getFieldCount(); k++) {
                Type f = span.getType(k);
                String col = "spans." + f.getName();
                switch (f.getName()) {
                    case "role":
                    case "state":
                    case "agent": {
                        if (!ParquetFiles.isString(f)) throw schemaError(col, "must be a string, got " + f);
                        String which = f.getName();
                        fields[k] = new ParquetFiles.StringConverter() {
                            @Override
                            void set(String v) {
                                int s = spanCount - 1;
                                if (which.equals("role")) role[s] = v;
                                else if (which.equals("state")) spanState[s] = v;
                                else spanAgent[s] = v;
                            }
                        };
                        break;
                    }
                    case "tokens":
                        if (!ParquetFiles.isInt(f)) throw schemaError(col, "must be an integer (int32), got " + f);
                        fields[k] = new IntConverter() {
                            @Override
                            void set(long v) {
                                spanTokens[spanCount - 1] = v;
                                spanHasTokens[spanCount - 1] = true;
                            }
                        };
                        break;
                    case "reward":
                        if (!ParquetFiles.isFloat(f)) throw schemaError(col, "must be a float, got " + f);
                        fields[k] = new ParquetFiles.FloatConverter() {
                            @Override
                            void set(float v) {
                                spanReward[spanCount - 1] = v;
                            }
                        };
                        break;
                    case "signals": {
                        Type value = ParquetFiles.mapValue(f);
                        if (value == null || !ParquetFiles.isFloat(value)) {
                            throw schemaError(
                                    col,
                                    "must be a map from string to float, got "
                                            + f.toString().replace('\n', ' '));
                        }
                        fields[k] = new MapConverter(spanSignals, () -> {}) {
                            @Override
                            void added() {
                                int n = spanSignals.size();
                                if (spanSignalOwner.length < n) spanSignalOwner = Arrays.copyOf(spanSignalOwner, n * 2);
                                spanSignalOwner[n - 1] = spanCount - 1;
                            }
                        };
                        break;
                    }
                    default:
                        throw new InputException(
                                source,
                                0,
                                col,
                                "column " + col + " is not a span field (known span fields: "
                                        + String.join(", ", SPAN_FIELDS) + ")");
                }
            }
            GroupConverter element = new GroupConverter() {
                @Override
                public Converter getConverter(int fieldIndex) {
                    return fields[fieldIndex];
                }

                @Override
                public void start() {
                    int s = spanCount++;
                    if (role.length < spanCount) {
                        int m = spanCount * 2;
                        role = Arrays.copyOf(role, m);
                        spanTokens = Arrays.copyOf(spanTokens, m);
                        spanHasTokens = Arrays.copyOf(spanHasTokens, m);
                        spanReward = Arrays.copyOf(spanReward, m);
                        spanState = Arrays.copyOf(spanState, m);
                        spanAgent = Arrays.copyOf(spanAgent, m);
                    }
                    role[s] = null;
                    spanTokens[s] = 0;
                    spanHasTokens[s] = false;
                    spanReward[s] = Float.NaN;
                    spanState[s] = null;
                    spanAgent[s] = null;
                }

                @Override
                public void end() {}
            };
            return new ListConverter(element, () -> hasSpans = true, () -> {});
        }

        @Override
        public Converter getConverter(int fieldIndex) {
            return children[fieldIndex];
        }

        @Override
        public void start() {
            group = null;
            id = null;
            hasTokens = false;
            hasOutcome = false;
            components.clear();
            hasComponents = false;
            signals.clear();
            hasSpans = false;
            spanCount = 0;
            spanSignals.clear();
            for (ParquetFiles.FloatListConverter c : tokenSignalColumns) c.reset();
            hasText = false;
            text.clear();
        }

        @Override
        public void end() {}
    }

    /** Names and float values (a map column of one row). */
    private static final class NamedFloats {
        final List<String> names = new ArrayList<>();
        final ParquetFiles.Floats values = new ParquetFiles.Floats();

        void clear() {
            names.clear();
            values.clear();
        }

        int size() {
            return names.size();
        }
    }

    private abstract static class IntConverter extends PrimitiveConverter {
        abstract void set(long v);

        @Override
        public void addInt(int value) {
            set(value);
        }

        @Override
        public void addLong(long value) {
            set(value);
        }
    }

    /** A MAP string → float column: repeated key_value groups. */
    private static class MapConverter extends GroupConverter {
        private final NamedFloats target;
        private final Runnable present;
        private final GroupConverter keyValue;
        private String key;
        private float value;

        MapConverter(NamedFloats target, Runnable present) {
            this.target = target;
            this.present = present;
            Converter keyConverter = new ParquetFiles.StringConverter() {
                @Override
                void set(String v) {
                    key = v;
                }
            };
            Converter valueConverter = new ParquetFiles.FloatConverter() {
                @Override
                void set(float v) {
                    value = v;
                }
            };
            keyValue = new GroupConverter() {
                @Override
                public Converter getConverter(int fieldIndex) {
                    return fieldIndex == 0 ? keyConverter : valueConverter;
                }

                @Override
                public void start() {
                    key = null;
                    value = Float.NaN;
                }

                @Override
                public void end() {
                    target.names.add(key);
                    target.values.add(value);
                    added();
                }
            };
        }

        void added() {}

        @Override
        public Converter getConverter(int fieldIndex) {
            return keyValue;
        }

        @Override
        public void start() {
            present.run();
        }

        @Override
        public void end() {}
    }

    /** A three-level LIST whose element converter is given. */
    private static final class ListConverter extends GroupConverter {
        private final Runnable present;
        private final GroupConverter repeated;

        ListConverter(Converter element, Runnable present, Runnable eachElement) {
            this.present = present;
            this.repeated = new GroupConverter() {
                @Override
                public Converter getConverter(int fieldIndex) {
                    return element;
                }

                @Override
                public void start() {
                    eachElement.run();
                }

                @Override
                public void end() {}
            };
        }

        @Override
        public Converter getConverter(int fieldIndex) {
            return repeated;
        }

        @Override
        public void start() {
            present.run();
        }

        @Override
        public void end() {}
    }

    /** Checks rows and feeds them to a builder, handing off a batch every {@code chunkRows} rows. */
    private static final class Assembler {
        private final String source;
        private final int chunkRows;
        private final RolloutSink sink;
        private final Map<String, Map<String, Long>> seen = new HashMap<>();
        private final SameSignalNames signalNames = new SameSignalNames();
        private Boolean outcomeObjects;
        private long outcomeFormRow;
        private RolloutsBuilder builder;
        private final List<String> ids = new ArrayList<>();
        private final List<String> groups = new ArrayList<>();
        private long[] rows = new long[64];
        private boolean any;
        // per-row context for messages
        private long row;
        private String id;
        private String group;

        Assembler(String source, int chunkRows, RolloutSink sink) {
            this.source = source;
            this.chunkRows = chunkRows;
            this.sink = sink;
        }

        private InputException error(String column, String detail) {
            String ctx = id == null
                    ? ""
                    : "trajectory '" + id + "'" + (group == null ? "" : " (group '" + group + "')") + ": ";
            return new InputException(
                    source, 0, column, "row " + row + ": " + ctx + "column " + column + ": " + detail);
        }

        void add(RowConverter r, long rowNo) throws IOException {
            row = rowNo;
            id = null;
            group = null;
            id = r.id != null ? r.id : Long.toString(rowNo);
            if (r.group == null)
                throw error(
                        "group",
                        "group is missing (every trajectory needs a group: a string naming its prompt or task)");
            group = r.group;
            Long prev = seen.computeIfAbsent(group, k -> new HashMap<>()).putIfAbsent(id, rowNo);
            if (prev != null)
                throw error("id", "duplicate id '" + id + "' in group '" + group + "' (first on row " + prev + ")");

            long total = 0;
            if (r.hasSpans) {
                for (int s = 0; s < r.spanCount; s++) {
                    String at = "spans[" + s + "]";
                    if (r.role[s] == null) throw error(at + ".role", "is missing (\"policy\" or \"context\")");
                    if (!r.role[s].equals("policy") && !r.role[s].equals("context")) {
                        throw error(at + ".role", "must be \"policy\" or \"context\", got \"" + r.role[s] + "\"");
                    }
                    if (!r.spanHasTokens[s]) throw error(at + ".tokens", "is missing (the span's token count)");
                    if (r.spanTokens[s] < 0) throw error(at + ".tokens", "must be >= 0, got " + r.spanTokens[s]);
                    total += r.spanTokens[s];
                    if (total > Integer.MAX_VALUE - 8)
                        throw error("spans", "spans add up to more tokens than a batch can hold");
                    if (!Float.isNaN(r.spanReward[s]) && !Float.isFinite(r.spanReward[s])) {
                        throw error(at + ".reward", "must be finite, got " + r.spanReward[s]);
                    }
                }
                if (r.hasTokens && r.tokens != total)
                    throw error("tokens", "tokens is " + r.tokens + " but the spans add up to " + total + " tokens");
            } else {
                if (!r.hasTokens)
                    throw error(
                            "tokens",
                            "tokens is missing (without spans the trajectory is one policy span of tokens tokens)");
                if (r.tokens < 0) throw error("tokens", "must be >= 0, got " + r.tokens);
                if (r.tokens > Integer.MAX_VALUE - 8) throw error("tokens", "is too large, got " + r.tokens);
                total = r.tokens;
            }
            int tokens = (int) total;

            // outcome: one form for the whole file
            if (r.hasOutcome && r.hasComponents) {
                throw error(
                        "outcome", "both outcome and outcome_components are set (a trajectory has one or the other)");
            }
            if (r.hasOutcome || r.hasComponents) {
                boolean objects = r.hasComponents;
                if (outcomeObjects == null) {
                    outcomeObjects = objects;
                    outcomeFormRow = rowNo;
                } else if (outcomeObjects != objects) {
                    throw error(
                            objects ? "outcome_components" : "outcome",
                            (objects ? "outcome_components" : "outcome")
                                    + " is set here but row " + outcomeFormRow + " uses "
                                    + (objects ? "outcome" : "outcome_components")
                                    + " (use one form for the whole file)");
                }
            }
            if (r.hasOutcome && !Float.isFinite(r.outcome)) throw error("outcome", "must be finite, got " + r.outcome);
            for (int k = 0; k < r.components.size(); k++) {
                if (r.components.names.get(k) == null) throw error("outcome_components", "a key is null");
                float v = r.components.values.a[k];
                if (Float.isInfinite(v))
                    throw error("outcome_components." + r.components.names.get(k), "must be finite, got " + v);
            }
            checkMap(r.signals, "signals");
            for (int k = 0; k < r.spanSignals.size(); k++) {
                String col = "spans[" + r.spanSignalOwner[k] + "].signals";
                if (r.spanSignals.names.get(k) == null) throw error(col, "a key is null");
                if (!Float.isFinite(r.spanSignals.values.a[k])) {
                    throw error(
                            col + "." + r.spanSignals.names.get(k), "must be finite, got " + r.spanSignals.values.a[k]);
                }
            }

            // token signals: lengths, finiteness, the same names on every row (reward excepted)
            Set<String> names = new TreeSet<>();
            for (int k = 0; k < r.tokenSignalColumns.size(); k++) {
                ParquetFiles.FloatListConverter c = r.tokenSignalColumns.get(k);
                if (!c.present) continue;
                String col = "token_signals." + r.tokenSignalNames.get(k);
                if (c.values.n != tokens)
                    throw error(col, "has " + c.values.n + " values but the trajectory has " + tokens + " tokens");
                for (int t = 0; t < c.values.n; t++) {
                    if (!Float.isFinite(c.values.a[t])) {
                        throw error(
                                col,
                                "[" + t + "] must be a finite number, got "
                                        + (Float.isNaN(c.values.a[t]) ? "null or NaN" : c.values.a[t]));
                    }
                }
                if (!r.tokenSignalNames.get(k).equals(Rollouts.REWARD)) names.add(r.tokenSignalNames.get(k));
            }
            checkSignalNames(names);
            if (r.hasText && r.text.size() != tokens) {
                throw error(
                        "text", "text has " + r.text.size() + " strings but the trajectory has " + tokens + " tokens");
            }

            // feed the builder
            if (builder == null) {
                builder = Rollouts.builder();
                ids.clear();
                groups.clear();
            }
            int index = ids.size();
            ids.add(id);
            groups.add(group);
            if (rows.length == index) rows = Arrays.copyOf(rows, index * 2);
            rows[index] = rowNo;
            try {
                builder.trajectory(group, id);
                if (r.hasOutcome) builder.outcome(r.outcome);
                for (int k = 0; k < r.components.size(); k++)
                    builder.outcomeComponent(r.components.names.get(k), r.components.values.a[k]);
                for (int k = 0; k < r.signals.size(); k++)
                    builder.signal(r.signals.names.get(k), r.signals.values.a[k]);
                if (r.hasSpans) {
                    int sig = 0;
                    for (int s = 0; s < r.spanCount; s++) {
                        builder.span(
                                Role.parse(r.role[s]),
                                (int) r.spanTokens[s],
                                r.spanReward[s],
                                r.spanState[s],
                                r.spanAgent[s]);
                        while (sig < r.spanSignals.size() && r.spanSignalOwner[sig] == s) {
                            builder.spanSignal(r.spanSignals.names.get(sig), r.spanSignals.values.a[sig]);
                            sig++;
                        }
                    }
                } else {
                    builder.span(Role.POLICY, tokens);
                }
                for (int k = 0; k < r.tokenSignalColumns.size(); k++) {
                    ParquetFiles.FloatListConverter c = r.tokenSignalColumns.get(k);
                    if (c.present) builder.tokenSignal(r.tokenSignalNames.get(k), c.values.copy());
                }
                if (r.hasText) builder.tokenText(r.text.toArray(new String[0]));
            } catch (RolloutException e) {
                throw mapped(e);
            }
            any = true;
            if (ids.size() >= chunkRows) flush();
        }

        private void checkMap(NamedFloats m, String column) {
            for (int k = 0; k < m.size(); k++) {
                if (m.names.get(k) == null) throw error(column, "a key is null");
                if (!Float.isFinite(m.values.a[k]))
                    throw error(column + "." + m.names.get(k), "must be finite, got " + m.values.a[k]);
            }
        }

        private void checkSignalNames(Set<String> mine) {
            SameSignalNames.Mismatch m = signalNames.check(mine, row, id);
            if (m == null) return;
            throw error(
                    "token_signals." + m.name(),
                    (m.missing() ? "is missing (null)" : "is given here") + ", but row " + m.firstPosition()
                            + " (trajectory '" + m.firstId() + "') " + (m.missing() ? "has" : "lacks")
                            + " it; every trajectory must give the same token signals (reward excepted)");
        }

        private void flush() throws IOException {
            if (builder == null) return;
            Rollouts b;
            try {
                b = builder.build();
            } catch (RolloutException e) {
                throw mapped(e);
            }
            builder = null;
            sink.accept(b);
        }

        void finish() throws IOException {
            if (!any) throw new InputException(source, 0, null, "no trajectories (the file has no rows)");
            flush();
        }

        private InputException mapped(RolloutException e) {
            int i = e.trajectory();
            String msg = e.getMessage();
            if (i >= 0 && i < ids.size()) {
                String prefix = "trajectory " + i + " (id '" + ids.get(i) + "', group '" + groups.get(i) + "'): ";
                if (msg.startsWith(prefix)) msg = msg.substring(prefix.length());
                return new InputException(
                        source,
                        0,
                        e.field(),
                        "row " + rows[i] + ": trajectory '" + ids.get(i) + "' (group '" + groups.get(i) + "'): " + msg,
                        e);
            }
            return new InputException(source, 0, e.field(), "row " + row + ": " + msg, e);
        }
    }
}

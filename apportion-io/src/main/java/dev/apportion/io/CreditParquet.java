package dev.apportion.io;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.rollout.Rollouts;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Type.Repetition;
import org.apache.parquet.schema.Types;

/**
 * Credit as Parquet: one row per input trajectory, in batch order, mirroring credit JSONL v1.
 *
 * <pre>
 * message apportion_credit {
 *   required binary group (STRING);
 *   required binary id (STRING);
 *   required group advantages (LIST) { repeated group list { required float element; } }
 *   optional group returns (LIST) { ... }          // present when the estimator computes them
 *   optional group span_advantages (LIST) { ... }  // one per span
 *   optional group loss_weight (LIST) { ... }
 *   optional group clip_scale (LIST) { ... }
 * }
 * </pre>
 *
 * <p>Only the columns the credit has are in the schema. The key-value metadata holds the
 * provenance: {@code apportion.kind} = {@code credit}, {@code apportion.format} = 1 and
 * whatever the caller adds (the CLI adds {@code apportion.estimator}, {@code apportion.params}
 * and {@code apportion.input}). Non-finite values are refused as in {@link CreditJsonl}.
 */
public final class CreditParquet {
    /** Per-token or per-span columns after group and id, in schema order. */
    public static final List<String> ARRAYS =
            List.of("advantages", "returns", "span_advantages", "loss_weight", "clip_scale");

    private CreditParquet() {}

    /** Credit read back from a file: group, id and one float array per present column and row. */
    public record Table(
            List<String> groups, List<String> ids, Map<String, List<float[]>> columns, Map<String, String> metadata) {
        public int rows() {
            return ids.size();
        }
    }

    /**
     * Writes credit atomically (temporary file in the target's directory, then a rename).
     *
     * @param provenance extra key-value metadata (may be empty)
     */
    public static void write(Path out, Rollouts batch, Credit credit, Map<String, String> provenance)
            throws IOException {
        float[][] arrays = {
            credit.advantages(), credit.returns(), credit.spanAdvantages(), credit.lossWeights(), credit.clipScales()
        };
        check(batch, arrays);
        List<Type> fields = new ArrayList<>();
        fields.add(RolloutParquet.string(Repetition.REQUIRED, "group"));
        fields.add(RolloutParquet.string(Repetition.REQUIRED, "id"));
        List<Integer> present = new ArrayList<>();
        for (int k = 0; k < arrays.length; k++) {
            if (arrays[k] == null) continue;
            present.add(k);
            fields.add(RolloutParquet.list(
                    k == 0 ? Repetition.REQUIRED : Repetition.OPTIONAL,
                    ARRAYS.get(k),
                    Types.required(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.FLOAT)
                            .named("element")));
        }
        MessageType schema = new MessageType("apportion_credit", fields);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(RolloutParquet.META_KIND, "credit");
        meta.put(RolloutParquet.META_FORMAT, Integer.toString(CreditJsonl.FORMAT_VERSION));
        meta.put(RolloutParquet.META_WRITER, "apportion");
        meta.putAll(provenance);
        try (ParquetFiles.AtomicWriter<Integer> w = new ParquetFiles.AtomicWriter<>(out, schema, meta, (c, i) -> {
            ParquetFiles.string(c, "group", 0, batch.groupKey(batch.trajectoryGroup(i)));
            ParquetFiles.string(c, "id", 1, batch.trajectoryId(i));
            int field = 2;
            for (int k : present) {
                boolean span = k == 2;
                int from = span ? batch.spanStart(i) : batch.tokenStart(i);
                int to = span ? batch.spanEnd(i) : batch.tokenEnd(i);
                ParquetFiles.floatList(c, ARRAYS.get(k), field++, arrays[k], from, to);
            }
        })) {
            for (int i = 0; i < batch.trajectoryCount(); i++) w.write(i);
            w.commit();
        }
    }

    /** The checks of {@link CreditJsonl}: arrays fit the batch and hold finite values only. */
    private static void check(Rollouts batch, float[][] arrays) {
        for (int k = 0; k < arrays.length; k++) {
            float[] a = arrays[k];
            if (a == null) continue;
            int want = k == 2 ? batch.spanCount() : batch.tokenCount();
            if (a.length != want) {
                throw new IllegalArgumentException("credit does not fit the batch: " + ARRAYS.get(k) + " has "
                        + a.length + " values but the batch has " + want + (k == 2 ? " spans" : " tokens"));
            }
            for (int i = 0; i < batch.trajectoryCount(); i++) {
                int from = k == 2 ? batch.spanStart(i) : batch.tokenStart(i);
                int to = k == 2 ? batch.spanEnd(i) : batch.tokenEnd(i);
                for (int t = from; t < to; t++) {
                    if (!Float.isFinite(a[t])) {
                        throw new IllegalArgumentException(batch.describe(i) + ": " + ARRAYS.get(k) + "[" + (t - from)
                                + "] is " + a[t] + "; only finite numbers can be written");
                    }
                }
            }
        }
    }

    /** Reads a credit Parquet file (written by apportion or by the Spark job). */
    public static Table read(Path file) throws IOException {
        String source = file.toString();
        try (ParquetFileReader reader = ParquetFiles.open(file, source)) {
            MessageType schema = reader.getFileMetaData().getSchema();
            List<String> groups = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            Map<String, List<float[]>> columns = new LinkedHashMap<>();
            Converter[] children = new Converter[schema.getFieldCount()];
            String[] row = new String[2];
            List<ParquetFiles.FloatListConverter> lists = new ArrayList<>();
            List<String> listNames = new ArrayList<>();
            for (int k = 0; k < schema.getFieldCount(); k++) {
                Type t = schema.getType(k);
                String name = t.getName();
                if (name.equals("group") || name.equals("id")) {
                    if (!ParquetFiles.isString(t))
                        throw new InputException(source, 0, name, "column " + name + ": must be a string, got " + t);
                    int slot = name.equals("group") ? 0 : 1;
                    children[k] = new ParquetFiles.StringConverter() {
                        @Override
                        void set(String v) {
                            row[slot] = v;
                        }
                    };
                } else if (ARRAYS.contains(name)) {
                    Type el = ParquetFiles.listElement(t);
                    if (el == null || !ParquetFiles.isFloat(el)) {
                        throw new InputException(
                                source,
                                0,
                                name,
                                "column " + name + ": must be a list of floats, got "
                                        + t.toString().replace('\n', ' '));
                    }
                    ParquetFiles.FloatListConverter fl = new ParquetFiles.FloatListConverter();
                    lists.add(fl);
                    listNames.add(name);
                    columns.put(name, new ArrayList<>());
                    children[k] = fl;
                } else {
                    throw new InputException(
                            source,
                            0,
                            name,
                            "column " + name + " is not a credit column (known columns: group, id, "
                                    + String.join(", ", ARRAYS) + ")");
                }
            }
            if (!columns.containsKey("advantages"))
                throw new InputException(source, 0, "advantages", "column advantages is missing");
            GroupConverter root = new GroupConverter() {
                @Override
                public Converter getConverter(int fieldIndex) {
                    return children[fieldIndex];
                }

                @Override
                public void start() {
                    row[0] = null;
                    row[1] = null;
                    for (ParquetFiles.FloatListConverter fl : lists) fl.reset();
                }

                @Override
                public void end() {}
            };
            ParquetFiles.readAll(reader, source, schema, root, r -> {
                if (row[0] == null || row[1] == null) {
                    throw new InputException(
                            source,
                            0,
                            row[0] == null ? "group" : "id",
                            "row " + r + ": column " + (row[0] == null ? "group" : "id") + " is null");
                }
                groups.add(row[0]);
                ids.add(row[1]);
                for (int k = 0; k < lists.size(); k++) {
                    ParquetFiles.FloatListConverter fl = lists.get(k);
                    if (fl.values.nulls > 0) {
                        throw new InputException(
                                source,
                                0,
                                listNames.get(k),
                                "row " + r + ": column " + listNames.get(k) + " holds a null");
                    }
                    columns.get(listNames.get(k)).add(fl.present ? fl.values.copy() : null);
                }
            });
            return new Table(
                    groups,
                    ids,
                    columns,
                    Collections.unmodifiableMap(
                            new LinkedHashMap<>(reader.getFileMetaData().getKeyValueMetaData())));
        }
    }
}

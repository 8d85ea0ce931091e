package dev.apportion.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.io.api.RecordMaterializer;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;

/**
 * Parquet plumbing shared by {@link RolloutParquet} and {@link CreditParquet}: files are
 * opened through parquet-java's {@link LocalInputFile} / {@link LocalOutputFile} with a
 * {@link PlainParquetConfiguration}, so no Hadoop file system or Hadoop configuration is
 * created (Hadoop's API jar is needed only to compile). Records are written straight to a
 * {@link RecordConsumer} and read through hand-written converters into primitive arrays (no
 * object per value).
 */
final class ParquetFiles {
    /** Rows per row group are bounded by bytes: 32 MiB keeps reading and writing memory small. */
    static final long ROW_GROUP_BYTES = 32L << 20;

    private ParquetFiles() {}

    /** Writes one record; the consumer is between startMessage and endMessage. */
    interface RecordBody<T> {
        void write(RecordConsumer c, T record);
    }

    /** A write support that hands each record to a function; the schema is fixed up front. */
    static final class Support<T> extends WriteSupport<T> {
        private final MessageType schema;
        private final Map<String, String> meta;
        private final RecordBody<T> body;
        private RecordConsumer consumer;

        Support(MessageType schema, Map<String, String> meta, RecordBody<T> body) {
            this.schema = schema;
            this.meta = meta;
            this.body = body;
        }

        @Override
        @SuppressWarnings("deprecation") // abstract in parquet-java; never called with a PlainParquetConfiguration
        public WriteContext init(Configuration configuration) {
            return new WriteContext(schema, meta);
        }

        @Override
        public WriteContext init(ParquetConfiguration configuration) {
            return new WriteContext(schema, meta);
        }

        @Override
        public void prepareForWrite(RecordConsumer recordConsumer) {
            this.consumer = recordConsumer;
        }

        @Override
        public void write(T record) {
            consumer.startMessage();
            body.write(consumer, record);
            consumer.endMessage();
        }

        @Override
        public String getName() {
            return "apportion";
        }
    }

    private static final class Builder<T> extends ParquetWriter.Builder<T, Builder<T>> {
        private final Support<T> support;

        Builder(LocalOutputFile file, Support<T> support) {
            super(file);
            this.support = support;
        }

        @Override
        protected Builder<T> self() {
            return this;
        }

        @Override
        @SuppressWarnings("deprecation") // abstract in parquet-java; never called with a PlainParquetConfiguration
        protected WriteSupport<T> getWriteSupport(Configuration conf) {
            return support;
        }

        @Override
        protected WriteSupport<T> getWriteSupport(ParquetConfiguration conf) {
            return support;
        }
    }

    /**
     * A Parquet file being written to a temporary file next to its target; {@link #commit()}
     * renames it onto the target atomically, {@link #close()} without commit deletes it.
     */
    static final class AtomicWriter<T> implements AutoCloseable {
        private final Path target;
        private final Path tmp;
        private ParquetWriter<T> writer;
        private boolean committed;

        AtomicWriter(Path target, MessageType schema, Map<String, String> meta, RecordBody<T> body) throws IOException {
            this(target, schema, meta, body, ROW_GROUP_BYTES);
        }

        AtomicWriter(Path target, MessageType schema, Map<String, String> meta, RecordBody<T> body, long rowGroupBytes)
                throws IOException {
            this.target = target.toAbsolutePath();
            Path dir = this.target.getParent();
            Path t = null;
            for (int attempt = 0; t == null; attempt++) {
                Path candidate = dir.resolve("." + this.target.getFileName() + "."
                        + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16) + ".tmp");
                try {
                    Files.createFile(candidate);
                    t = candidate;
                } catch (FileAlreadyExistsException e) {
                    if (attempt >= 16) throw e;
                }
            }
            this.tmp = t;
            try {
                this.writer = new Builder<>(new LocalOutputFile(tmp), new Support<>(schema, meta, body))
                        .withConf(new PlainParquetConfiguration())
                        .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                        .withCodecFactory(Codecs.INSTANCE)
                        .withCompressionCodec(CompressionCodecName.SNAPPY)
                        .withRowGroupSize(rowGroupBytes)
                        .withPageSize((int) Math.min(1 << 20, Math.max(4096, rowGroupBytes / 4)))
                        .withDictionaryEncoding(false)
                        .withDictionaryEncoding("group", true)
                        .withDictionaryEncoding("spans.list.element.role", true)
                        .build();
            } catch (IOException | RuntimeException | Error e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
        }

        void write(T record) throws IOException {
            writer.write(record);
        }

        /** Closes the Parquet file (footer) and renames it onto the target. */
        void commit() throws IOException {
            writer.close();
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            committed = true;
        }

        @Override
        public void close() throws IOException {
            if (committed) return;
            try {
                writer.close();
            } catch (IOException | RuntimeException ignored) {
                // the original failure matters more
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    // ---- writing helpers ------------------------------------------------------------------------

    static void string(RecordConsumer c, String field, int index, String value) {
        c.startField(field, index);
        c.addBinary(Binary.fromString(value));
        c.endField(field, index);
    }

    static void floatValue(RecordConsumer c, String field, int index, float value) {
        c.startField(field, index);
        c.addFloat(value);
        c.endField(field, index);
    }

    static void intValue(RecordConsumer c, String field, int index, int value) {
        c.startField(field, index);
        c.addInteger(value);
        c.endField(field, index);
    }

    /** A three-level LIST of floats {@code values[from, to)}. */
    static void floatList(RecordConsumer c, String field, int index, float[] values, int from, int to) {
        c.startField(field, index);
        c.startGroup();
        if (to > from) {
            c.startField("list", 0);
            for (int k = from; k < to; k++) {
                c.startGroup();
                c.startField("element", 0);
                c.addFloat(values[k]);
                c.endField("element", 0);
                c.endGroup();
            }
            c.endField("list", 0);
        }
        c.endGroup();
        c.endField(field, index);
    }

    // ---- schema helpers ------------------------------------------------------------------------

    static String utf8(Binary b) {
        return b.toStringUsingUTF8();
    }

    static boolean isString(Type t) {
        return t.isPrimitive() && t.asPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.BINARY;
    }

    static boolean isFloat(Type t) {
        if (!t.isPrimitive()) return false;
        PrimitiveTypeName p = t.asPrimitiveType().getPrimitiveTypeName();
        return p == PrimitiveTypeName.FLOAT || p == PrimitiveTypeName.DOUBLE;
    }

    static boolean isInt(Type t) {
        if (!t.isPrimitive()) return false;
        PrimitiveTypeName p = t.asPrimitiveType().getPrimitiveTypeName();
        return p == PrimitiveTypeName.INT32 || p == PrimitiveTypeName.INT64;
    }

    /**
     * The element type of a LIST-annotated group in the three-level form
     * ({@code group (LIST) { repeated group list { element } }}), or null when {@code t} is not one.
     */
    static Type listElement(Type t) {
        if (t.isPrimitive() || t.isRepetition(Type.Repetition.REPEATED)) return null;
        GroupType g = t.asGroupType();
        if (!(g.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation)) return null;
        if (g.getFieldCount() != 1) return null;
        Type rep = g.getType(0);
        if (!rep.isRepetition(Type.Repetition.REPEATED) || rep.isPrimitive()) return null;
        GroupType r = rep.asGroupType();
        if (r.getFieldCount() != 1 || r.getType(0).isRepetition(Type.Repetition.REPEATED)) return null;
        return r.getType(0);
    }

    /** A MAP group's value type, keys being strings; null when {@code t} is not such a map. */
    static Type mapValue(Type t) {
        if (t.isPrimitive() || t.isRepetition(Type.Repetition.REPEATED)) return null;
        GroupType g = t.asGroupType();
        if (!(g.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.MapLogicalTypeAnnotation)) return null;
        if (g.getFieldCount() != 1) return null;
        Type rep = g.getType(0);
        if (!rep.isRepetition(Type.Repetition.REPEATED) || rep.isPrimitive()) return null;
        GroupType kv = rep.asGroupType();
        if (kv.getFieldCount() != 2
                || !isString(kv.getType(0))
                || !kv.containsField("key")
                || !kv.containsField("value")) return null;
        return kv.getType("value");
    }

    // ---- reading ---------------------------------------------------------------------------------

    /** Receives one assembled record; may throw {@link InputException}. */
    interface RecordSink {
        void record(long row) throws IOException;
    }

    /**
     * Opens a Parquet file for reading (footer only); a file that is not Parquet, or is
     * truncated, is an {@link InputException} naming the file.
     */
    static ParquetFileReader open(Path file, String source) throws IOException {
        if (!Files.isRegularFile(file)) {
            if (Files.exists(file)) throw new InputException(source, 0, null, "not a regular file");
            throw new java.nio.file.NoSuchFileException(source);
        }
        try {
            return ParquetFileReader.open(new LocalInputFile(file), readOptions());
        } catch (IOException | RuntimeException e) {
            throw new InputException(
                    source, 0, null, "not a readable Parquet file (truncated or not Parquet): " + oneLine(e), e);
        }
    }

    /**
     * Reads every row group of an open file through {@code root} (converters built for the
     * file's schema), calling {@code sink} after each record. Corrupt data is an
     * {@link InputException} naming the row group and the row.
     */
    static void readAll(
            ParquetFileReader reader, String source, MessageType schema, GroupConverter root, RecordSink sink)
            throws IOException {
        MessageColumnIO io = new ColumnIOFactory(reader.getFileMetaData().getCreatedBy()).getColumnIO(schema);
        RecordMaterializer<Object> materializer = new RecordMaterializer<>() {
            @Override
            public Object getCurrentRecord() {
                return Boolean.TRUE;
            }

            @Override
            public GroupConverter getRootConverter() {
                return root;
            }
        };
        long row = 0;
        int rowGroup = 0;
        while (true) {
            PageReadStore pages;
            try {
                pages = reader.readNextRowGroup();
            } catch (IOException | RuntimeException e) {
                throw new InputException(
                        source,
                        0,
                        null,
                        "row " + (row + 1) + " (row group " + rowGroup
                                + "): cannot read the row group (truncated or corrupt): " + oneLine(e),
                        e);
            }
            if (pages == null) break;
            long n = pages.getRowCount();
            RecordReader<Object> rr = io.getRecordReader(pages, materializer);
            for (long k = 0; k < n; k++) {
                row++;
                try {
                    rr.read();
                } catch (InputException e) {
                    throw e;
                } catch (RuntimeException e) {
                    throw new InputException(
                            source,
                            0,
                            null,
                            "row " + row + " (row group " + rowGroup + "): corrupt data: " + oneLine(e),
                            e);
                }
                sink.record(row);
            }
            rowGroup++;
        }
    }

    private static volatile ParquetReadOptions options;

    /**
     * Read options with {@link Codecs}: from parquet-java's builder when Hadoop is on the class
     * path (Spark), else built without it ({@link org.apache.parquet.HadoopFreeReadOptions}).
     */
    static ParquetReadOptions readOptions() {
        ParquetReadOptions o = options;
        if (o == null) {
            try {
                o = ParquetReadOptions.builder(new PlainParquetConfiguration())
                        .withCodecFactory(Codecs.INSTANCE)
                        .build();
            } catch (NoClassDefFoundError noHadoop) {
                o = org.apache.parquet.HadoopFreeReadOptions.of(Codecs.INSTANCE);
            }
            options = o;
        }
        return o;
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    // ---- converters ------------------------------------------------------------------------------

    /** A growable float array (one record's list). */
    static final class Floats {
        float[] a = new float[64];
        int n;
        int nulls;

        void clear() {
            n = 0;
            nulls = 0;
        }

        void add(float v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        float[] copy() {
            return Arrays.copyOf(a, n);
        }
    }

    /** Float or double primitive converter storing into a callback. */
    abstract static class FloatConverter extends PrimitiveConverter {
        abstract void set(float v);

        @Override
        public void addFloat(float value) {
            set(value);
        }

        @Override
        public void addDouble(double value) {
            set((float) value);
        }
    }

    /** Converter of a three-level LIST of numbers into {@link Floats}; null elements counted. */
    static final class FloatListConverter extends GroupConverter {
        final Floats values = new Floats();
        boolean present;
        private final GroupConverter repeated;

        FloatListConverter() {
            FloatConverter element = new FloatConverter() {
                @Override
                void set(float v) {
                    values.add(v);
                }
            };
            repeated = new GroupConverter() {
                private boolean got;
                private final FloatConverter inner = new FloatConverter() {
                    @Override
                    void set(float v) {
                        got = true;
                        element.set(v);
                    }
                };

                @Override
                public Converter getConverter(int fieldIndex) {
                    return inner;
                }

                @Override
                public void start() {
                    got = false;
                }

                @Override
                public void end() {
                    if (!got) {
                        values.nulls++;
                        values.add(Float.NaN);
                    }
                }
            };
        }

        void reset() {
            values.clear();
            present = false;
        }

        @Override
        public Converter getConverter(int fieldIndex) {
            return repeated;
        }

        @Override
        public void start() {
            present = true;
        }

        @Override
        public void end() {}
    }

    /** Converter of a UTF-8 string into a slot. */
    abstract static class StringConverter extends PrimitiveConverter {
        abstract void set(String v);

        @Override
        public void addBinary(Binary value) {
            set(new String(value.getBytes(), StandardCharsets.UTF_8));
        }
    }
}

package org.apache.parquet;

import java.util.HashMap;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.format.converter.ParquetMetadataConverter;

/**
 * Read options that never touch Hadoop (apportion's, not parquet-java's). parquet-java
 * 1.18's {@code ParquetReadOptions.Builder} constructor creates a Hadoop codec factory before
 * a caller can supply its own, which fails when Hadoop is not on the class path; the options'
 * constructor is package-private, hence this class in parquet's package. The values are the
 * builder's defaults, with the caller's codec factory. Used only when the builder fails.
 */
public final class HadoopFreeReadOptions {
    private HadoopFreeReadOptions() {}

    public static ParquetReadOptions of(CompressionCodecFactory codecs) {
        return new ParquetReadOptions(
                false, // useSignedStringMinMax
                true, // useStatsFilter
                true, // useDictionaryFilter
                true, // useRecordFilter
                true, // useColumnIndexFilter
                false, // usePageChecksumVerification
                true, // useBloomFilter
                false, // useOffHeapDecryptBuffer
                false, // useHadoopVectoredIo
                FilterCompat.NOOP,
                ParquetMetadataConverter.NO_FILTER,
                codecs,
                new HeapByteBufferAllocator(),
                8 << 20, // maxAllocationSize
                new HashMap<>(),
                null, // fileDecryptionProperties
                null, // metricsCallback
                new PlainParquetConfiguration());
    }
}

package dev.apportion.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.xerial.snappy.Snappy;

/**
 * Page compression without Hadoop: parquet-java's default codec factory reaches Snappy and
 * GZIP through Hadoop's codec classes (and builds a Hadoop configuration to do so). This one
 * calls snappy-java and {@code java.util.zip} directly. Supported: UNCOMPRESSED, SNAPPY (what
 * apportion and Spark write by default) and GZIP; any other codec is an {@link IOException}
 * naming it.
 */
@SuppressWarnings("deprecation") // BytesInput.toByteArray: the plain byte[] API snappy-java takes
final class Codecs implements CompressionCodecFactory {
    static final Codecs INSTANCE = new Codecs();

    private Codecs() {}

    @Override
    public BytesInputCompressor getCompressor(CompressionCodecName codec) {
        return new BytesInputCompressor() {
            @Override
            public BytesInput compress(BytesInput bytes) throws IOException {
                switch (codec) {
                    case UNCOMPRESSED:
                        return bytes;
                    case SNAPPY:
                        return BytesInput.from(Snappy.compress(bytes.toByteArray()));
                    case GZIP: {
                        ByteArrayOutputStream out = new ByteArrayOutputStream();
                        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
                            bytes.writeAllTo(gz);
                        }
                        return BytesInput.from(out.toByteArray());
                    }
                    default:
                        throw unsupported(codec);
                }
            }

            @Override
            public CompressionCodecName getCodecName() {
                return codec;
            }

            @Override
            public void release() {}
        };
    }

    @Override
    public BytesInputDecompressor getDecompressor(CompressionCodecName codec) {
        return new BytesInputDecompressor() {
            @Override
            public BytesInput decompress(BytesInput bytes, int uncompressedSize) throws IOException {
                switch (codec) {
                    case UNCOMPRESSED:
                        return bytes;
                    case SNAPPY: {
                        byte[] out = new byte[uncompressedSize];
                        byte[] in = bytes.toByteArray();
                        int n = Snappy.uncompress(in, 0, in.length, out, 0);
                        if (n != uncompressedSize)
                            throw new IOException("snappy page holds " + n + " bytes, expected " + uncompressedSize);
                        return BytesInput.from(out);
                    }
                    case GZIP: {
                        byte[] out = new byte[uncompressedSize];
                        try (InputStream gz = new GZIPInputStream(bytes.toInputStream())) {
                            int off = 0;
                            while (off < uncompressedSize) {
                                int r = gz.read(out, off, uncompressedSize - off);
                                if (r < 0)
                                    throw new IOException(
                                            "gzip page ends after " + off + " of " + uncompressedSize + " bytes");
                                off += r;
                            }
                        }
                        return BytesInput.from(out);
                    }
                    default:
                        throw unsupported(codec);
                }
            }

            @Override
            public void decompress(ByteBuffer input, int compressedSize, ByteBuffer output, int uncompressedSize)
                    throws IOException {
                byte[] in = new byte[compressedSize];
                input.duplicate().get(in);
                byte[] out = decompress(BytesInput.from(in), uncompressedSize).toByteArray();
                output.put(out, 0, uncompressedSize);
            }

            @Override
            public void release() {}
        };
    }

    private static IOException unsupported(CompressionCodecName codec) {
        return new IOException(
                "compression codec " + codec + " is not supported by apportion (supported: SNAPPY, GZIP, "
                        + "UNCOMPRESSED); rewrite the file with one of them");
    }

    @Override
    public void release() {}
}

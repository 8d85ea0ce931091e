package dev.apportion.lm;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * All parameters of a {@link Transformer} in one flat float array, with the name, offset and
 * shape of each tensor. The engine sees copies made for each forward/backward; optimisation
 * (Adam) and checkpoints work on the flat array.
 *
 * <p>Layout (GPT-2 style, pre-LayerNorm, output head tied to the token embedding):
 * {@code tok[V,d]}, {@code pos[L,d]}, per block {@code ln1.g, ln1.b[d]}, {@code qkv.w[d,3d]},
 * {@code qkv.b[3d]}, {@code proj.w[d,d]}, {@code proj.b[d]}, {@code ln2.g, ln2.b[d]},
 * {@code fc.w[d,4d]}, {@code fc.b[4d]}, {@code out.w[4d,d]}, {@code out.b[d]}; then
 * {@code lnf.g, lnf.b[d]}.
 */
public final class Weights {
    private static final int MAGIC = 0x41504c4d; // "APLM"

    /** One named tensor inside the flat array. */
    public record Tensor(String name, int offset, long[] shape) {
        /** Number of elements. */
        public int size() {
            long n = 1;
            for (long s : shape) n *= s;
            return (int) n;
        }
    }

    private final ModelConfig config;
    private final List<Tensor> tensors;
    private final float[] data;

    private Weights(ModelConfig config, List<Tensor> tensors, float[] data) {
        this.config = config;
        this.tensors = tensors;
        this.data = data;
    }

    /** The tensor layout of a configuration. */
    static List<Tensor> layout(ModelConfig c) {
        List<Tensor> t = new ArrayList<>();
        int[] off = {0};
        int d = c.width();
        add(t, off, "tok", c.vocab(), d);
        add(t, off, "pos", c.maxLen(), d);
        for (int l = 0; l < c.layers(); l++) {
            String p = "h" + l + ".";
            add(t, off, p + "ln1.g", d);
            add(t, off, p + "ln1.b", d);
            add(t, off, p + "qkv.w", d, 3L * d);
            add(t, off, p + "qkv.b", 3L * d);
            add(t, off, p + "proj.w", d, d);
            add(t, off, p + "proj.b", d);
            add(t, off, p + "ln2.g", d);
            add(t, off, p + "ln2.b", d);
            add(t, off, p + "fc.w", d, 4L * d);
            add(t, off, p + "fc.b", 4L * d);
            add(t, off, p + "out.w", 4L * d, d);
            add(t, off, p + "out.b", d);
        }
        add(t, off, "lnf.g", d);
        add(t, off, "lnf.b", d);
        return Collections.unmodifiableList(t);
    }

    private static void add(List<Tensor> t, int[] off, String name, long... shape) {
        Tensor x = new Tensor(name, off[0], shape);
        t.add(x);
        off[0] += x.size();
    }

    /**
     * Fresh weights: normal(0, 0.02) for matrices and embeddings, residual output projections
     * scaled by 1/sqrt(2·layers) (GPT-2), LayerNorm gains 1, biases 0. Deterministic in the seed.
     */
    public static Weights init(ModelConfig c, long seed) {
        List<Tensor> t = layout(c);
        Tensor last = t.get(t.size() - 1);
        float[] data = new float[last.offset() + last.size()];
        SplittableRandom rnd = new SplittableRandom(seed);
        double resid = 0.02 / Math.sqrt(2.0 * c.layers());
        for (Tensor x : t) {
            String n = x.name();
            if (n.endsWith(".g")) {
                for (int k = 0; k < x.size(); k++) data[x.offset() + k] = 1f;
            } else if (n.endsWith(".b")) {
                continue;
            } else {
                double sd = n.endsWith("proj.w") || n.endsWith("out.w") ? resid : 0.02;
                for (int k = 0; k < x.size(); k++) data[x.offset() + k] = (float) (gaussian(rnd) * sd);
            }
        }
        return new Weights(c, t, data);
    }

    private static double gaussian(SplittableRandom r) {
        double u = r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }

    public ModelConfig config() {
        return config;
    }

    public List<Tensor> tensors() {
        return tensors;
    }

    /** The flat parameter array (live: optimisers write it). */
    public float[] data() {
        return data;
    }

    /** Number of parameters. */
    public int size() {
        return data.length;
    }

    /** A deep copy. */
    public Weights copy() {
        return new Weights(config, tensors, data.clone());
    }

    /** Overwrites these weights with {@code other}'s values (same configuration). */
    public void copyFrom(Weights other) {
        if (!other.config.equals(config))
            throw new IllegalArgumentException("configurations differ: " + other.config + " vs " + config);
        System.arraycopy(other.data, 0, data, 0, data.length);
    }

    /** Writes a checkpoint atomically (temporary file, then rename). */
    public void save(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try (OutputStream os = Files.newOutputStream(tmp);
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(os))) {
            out.writeInt(MAGIC);
            out.writeInt(config.vocab());
            out.writeInt(config.layers());
            out.writeInt(config.width());
            out.writeInt(config.heads());
            out.writeInt(config.maxLen());
            out.writeInt(data.length);
            for (float f : data) out.writeFloat(f);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Reads a checkpoint written by {@link #save}. */
    public static Weights load(Path file) throws IOException {
        try (InputStream is = Files.newInputStream(file);
                DataInputStream in = new DataInputStream(new BufferedInputStream(is))) {
            int magic = in.readInt();
            if (magic != MAGIC)
                throw new IOException(
                        file + ": not an apportion-lm checkpoint (magic " + Integer.toHexString(magic) + ")");
            ModelConfig c = new ModelConfig(in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readInt());
            int n = in.readInt();
            List<Tensor> t = layout(c);
            Tensor last = t.get(t.size() - 1);
            if (n != last.offset() + last.size()) {
                throw new IOException(file + ": parameter count " + n + " does not match configuration " + c);
            }
            float[] data = new float[n];
            for (int k = 0; k < n; k++) data[k] = in.readFloat();
            return new Weights(c, t, data);
        }
    }
}

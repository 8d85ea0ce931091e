package dev.apportion.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Forward pass of a decoder-only transformer (GPT-2 layout, pre-LayerNorm, GELU MLP, learned
 * positions, causal multi-head self-attention, output head tied to the token embedding) written
 * with DJL NDArray operations, so PyTorch's autograd differentiates it.
 *
 * <p>Sequences are right-padded: with the causal mask, padding after a sequence's last token
 * never influences its real positions, so no padding mask is needed.
 *
 * <p>Source of the architecture: Radford et al., "Language Models are Unsupervised Multitask
 * Learners" (GPT-2, 2019); Vaswani et al., "Attention Is All You Need" (2017).
 */
public final class Transformer {
    /** Parameters as engine arrays. */
    private final Map<String, NDArray> p = new HashMap<>();

    private final ModelConfig c;
    private final List<NDArray> ordered = new ArrayList<>();
    private final List<Weights.Tensor> tensors;

    /** Outputs of one forward pass. */
    public record Output(NDArray logProbs, NDArray hidden, List<NDArray> attention) {}

    /**
     * Copies {@code w} into arrays of {@code manager}; with {@code grad} the arrays collect
     * gradients ({@link #gradient(float[])}).
     */
    public Transformer(NDManager manager, Weights w, boolean grad) {
        this.c = w.config();
        this.tensors = w.tensors();
        float[] data = w.data();
        for (Weights.Tensor t : w.tensors()) {
            float[] slice = new float[t.size()];
            System.arraycopy(data, t.offset(), slice, 0, slice.length);
            NDArray a = manager.create(slice, new Shape(t.shape()));
            if (grad) a.setRequiresGradient(true);
            p.put(t.name(), a);
            ordered.add(a);
        }
    }

    /** Writes the gradients collected by the last backward pass into a flat array like {@link Weights#data()}. */
    public void gradient(float[] into) {
        for (int k = 0; k < tensors.size(); k++) {
            Weights.Tensor t = tensors.get(k);
            float[] g = ordered.get(k).getGradient().toFloatArray();
            System.arraycopy(g, 0, into, t.offset(), g.length);
        }
    }

    /**
     * Forward pass over token ids {@code [B, T]} (int32).
     *
     * @param keepAttention keep every layer's attention weights {@code [B, heads, T, T]}
     * @return log-probabilities {@code [B, T, V]} of the next token at every position, the final
     *     hidden states (after the last LayerNorm) {@code [B, T, d]}, attention weights (empty
     *     unless requested)
     */
    public Output forward(NDArray ids, boolean keepAttention) {
        NDManager m = ids.getManager();
        long b = ids.getShape().get(0);
        int t = (int) ids.getShape().get(1);
        if (t > c.maxLen())
            throw new IllegalArgumentException("sequence length " + t + " exceeds maxLen " + c.maxLen());
        int d = c.width(), h = c.heads(), dh = c.headWidth();
        NDArray x = ids.oneHot(c.vocab()).matMul(p.get("tok")).add(p.get("pos").get(new NDIndex("0:" + t)));
        float[] maskData = new float[t * t];
        for (int i = 0; i < t; i++) for (int j = i + 1; j < t; j++) maskData[i * t + j] = -1e9f;
        NDArray mask = m.create(maskData, new Shape(t, t));
        float scale = (float) (1.0 / Math.sqrt(dh));
        List<NDArray> attention = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            String q = "h" + l + ".";
            NDArray a = layerNorm(x, p.get(q + "ln1.g"), p.get(q + "ln1.b"));
            NDArray qkv = a.matMul(p.get(q + "qkv.w")).add(p.get(q + "qkv.b"));
            NDList parts = qkv.split(3, 2);
            NDArray qh = heads(parts.get(0), b, t, h, dh);
            NDArray kh = heads(parts.get(1), b, t, h, dh);
            NDArray vh = heads(parts.get(2), b, t, h, dh);
            NDArray att =
                    qh.matMul(kh.transpose(0, 1, 3, 2)).mul(scale).add(mask).softmax(-1);
            if (keepAttention) attention.add(att);
            NDArray y = att.matMul(vh).transpose(0, 2, 1, 3).reshape(b, t, d);
            x = x.add(y.matMul(p.get(q + "proj.w")).add(p.get(q + "proj.b")));
            NDArray f = layerNorm(x, p.get(q + "ln2.g"), p.get(q + "ln2.b"));
            f = Activation.gelu(f.matMul(p.get(q + "fc.w")).add(p.get(q + "fc.b")));
            x = x.add(f.matMul(p.get(q + "out.w")).add(p.get(q + "out.b")));
        }
        NDArray hidden = layerNorm(x, p.get("lnf.g"), p.get("lnf.b"));
        NDArray logits = hidden.matMul(p.get("tok").transpose());
        return new Output(logits.logSoftmax(-1), hidden, attention);
    }

    private static NDArray heads(NDArray x, long b, int t, int h, int dh) {
        return x.reshape(b, t, h, dh).transpose(0, 2, 1, 3);
    }

    private static NDArray layerNorm(NDArray x, NDArray g, NDArray beta) {
        NDArray mu = x.mean(new int[] {-1}, true);
        NDArray xc = x.sub(mu);
        NDArray var = xc.square().mean(new int[] {-1}, true);
        return xc.div(var.add(1e-5f).sqrt()).mul(g).add(beta);
    }
}

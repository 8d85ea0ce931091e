package dev.apportion.lm;

import java.util.Arrays;

/**
 * One episode as flat arrays: token ids, the role of each position (0 context, 1 policy),
 * and the log-probability each policy token had when it was sampled. Position 0 is
 * {@code <bos>}. Mutable while it is generated ({@link Generator}); not thread-safe.
 */
public final class Episode {
    final int problem;
    final Task.Problem spec;
    int[] tok;
    byte[] role;
    float[] sampledLogProb;
    int len;
    int toolCalls;
    /** Position where the current policy turn started. */
    int turnStart;

    boolean done;
    double reward;

    Episode(int problem, Task.Problem spec, int capacity) {
        this.problem = problem;
        this.spec = spec;
        tok = new int[capacity];
        role = new byte[capacity];
        sampledLogProb = new float[capacity];
    }

    /** A fresh episode: {@code <bos> prompt}, waiting for the first policy token. */
    static Episode start(int problem, Task.Problem spec, int capacity) {
        Episode e = new Episode(problem, spec, capacity);
        e.push(CharTokenizer.BOS, (byte) 0, Float.NaN);
        for (int id : CharTokenizer.encode(spec.prompt())) e.push(id, (byte) 0, Float.NaN);
        e.turnStart = e.len;
        return e;
    }

    /**
     * The demonstration of a problem as a finished episode (for the supervised warm-up), or null
     * when it does not fit in {@code capacity}.
     */
    static Episode demonstration(int problem, Task.Problem spec, int capacity) {
        Episode e = start(problem, spec, capacity + 64);
        for (int k = 0; k < spec.demonstration().size(); k++) {
            byte r = (byte) (k % 2 == 0 ? 1 : 0);
            for (int id : CharTokenizer.encode(spec.demonstration().get(k))) e.push(id, r, Float.NaN);
        }
        e.push(CharTokenizer.EOS, (byte) 1, Float.NaN);
        e.done = true;
        return e.len <= capacity ? e : null;
    }

    /** A copy of the first {@code n} positions, not done, ready to be continued by sampling. */
    Episode prefix(int n) {
        Episode e = new Episode(problem, spec, tok.length);
        System.arraycopy(tok, 0, e.tok, 0, n);
        System.arraycopy(role, 0, e.role, 0, n);
        System.arraycopy(sampledLogProb, 0, e.sampledLogProb, 0, n);
        e.len = n;
        int start = n;
        while (start > 0 && role[start - 1] == 1) start--;
        e.turnStart = start;
        for (int k = 0; k < n; k++) if (role[k] == 1 && tok[k] == CharTokenizer.id(']')) e.toolCalls++;
        return e;
    }

    void push(int id, byte r, float logProb) {
        if (len == tok.length) {
            int cap = tok.length * 2;
            tok = Arrays.copyOf(tok, cap);
            role = Arrays.copyOf(role, cap);
            sampledLogProb = Arrays.copyOf(sampledLogProb, cap);
        }
        tok[len] = id;
        role[len] = r;
        sampledLogProb[len] = logProb;
        len++;
    }

    /** Number of positions. */
    public int length() {
        return len;
    }

    /** Token id at position {@code k}. */
    public int token(int k) {
        return tok[k];
    }

    /** True when position {@code k} was sampled by the policy. */
    public boolean isPolicy(int k) {
        return role[k] == 1;
    }

    /** Log-probability of the policy token at {@code k} when it was sampled (NaN on context). */
    public float sampledLogProb(int k) {
        return sampledLogProb[k];
    }

    /** Outcome reward (set when done). */
    public double reward() {
        return reward;
    }

    /** Index of the problem in its batch. */
    public int problem() {
        return problem;
    }

    /** The text of the last policy turn (the final answer), without {@code <eos>}. */
    public String finalAnswer() {
        int end = len;
        if (end > 0 && tok[end - 1] == CharTokenizer.EOS) end--;
        int start = end;
        while (start > 0 && role[start - 1] == 1) start--;
        return CharTokenizer.decode(tok, start, end);
    }

    /** The whole text with specials. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        for (int k = 1; k < len; k++) sb.append(CharTokenizer.piece(tok[k]));
        return sb.toString();
    }
}

package dev.apportion.io.importer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;

/**
 * Scores an episode's tool calls against the task's gold actions by a maximum-weight one-to-one
 * assignment, in the spirit of MatchTIR's hard (Kuhn–Munkres) turn-reward assignment (Qu et al.,
 * "MatchTIR: Fine-Grained Supervision for Tool-Integrated Reasoning via Bipartite Matching",
 * arXiv 2601.10712). The similarity of a call and a gold action is <b>reconstructed</b> (the
 * importer has no access to the paper's exact weights): 0 when the tool names differ, otherwise
 * {@code (1 + |keys with equal values|) / (1 + |union of argument keys|)}, so an exact call
 * scores 1 and a call with the right tool but wrong arguments scores between 0 and 1. Values
 * compare as JSON with numbers compared by value ({@code 250} equals {@code 250.0}). Calls left
 * unassigned score 0.
 */
final class ToolCallMatching {
    private static final Comparator<JsonNode> NUMERIC = (a, b) -> {
        if (a.isNumber() && b.isNumber()) return Double.compare(a.asDouble(), b.asDouble());
        return a.equals(b) ? 0 : 1;
    };

    private ToolCallMatching() {}

    /** Similarity of a call (name, arguments object) with a gold action (name, kwargs object). */
    static double similarity(String name, JsonNode args, String goldName, JsonNode goldArgs) {
        if (!name.equals(goldName)) return 0;
        Set<String> keys = new TreeSet<>();
        for (Iterator<String> it = args.fieldNames(); it.hasNext(); ) keys.add(it.next());
        for (Iterator<String> it = goldArgs.fieldNames(); it.hasNext(); ) keys.add(it.next());
        int equal = 0;
        for (String k : keys) {
            JsonNode a = args.get(k);
            JsonNode g = goldArgs.get(k);
            if (a != null && g != null && a.equals(NUMERIC, g)) equal++;
        }
        return (1.0 + equal) / (1.0 + keys.size());
    }

    /**
     * Maximum-weight assignment of rows to columns (Hungarian method with potentials, on the
     * square matrix padded with zeros).
     *
     * @param w rows × cols weights (≥ 0)
     * @return for each row its column, or −1 when unassigned (or assigned to padding)
     */
    static int[] assign(double[][] w, int cols) {
        int rows = w.length;
        int n = Math.max(rows, cols);
        if (n == 0) return new int[0];
        // minimise cost = max - w on an (n+1)-indexed square matrix
        double max = 0;
        for (double[] r : w) for (double x : r) max = Math.max(max, x);
        double[] u = new double[n + 1];
        double[] v = new double[n + 1];
        int[] colOwner = new int[n + 1];
        int[] way = new int[n + 1];
        for (int i = 1; i <= n; i++) {
            colOwner[0] = i;
            int j0 = 0;
            double[] minv = new double[n + 1];
            boolean[] used = new boolean[n + 1];
            Arrays.fill(minv, Double.POSITIVE_INFINITY);
            do {
                used[j0] = true;
                int i0 = colOwner[j0];
                double delta = Double.POSITIVE_INFINITY;
                int j1 = 0;
                for (int j = 1; j <= n; j++) {
                    if (used[j]) continue;
                    double cost = max - (i0 <= rows && j <= cols ? w[i0 - 1][j - 1] : 0);
                    double cur = cost - u[i0] - v[j];
                    if (cur < minv[j]) {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if (minv[j] < delta) {
                        delta = minv[j];
                        j1 = j;
                    }
                }
                for (int j = 0; j <= n; j++) {
                    if (used[j]) {
                        u[colOwner[j]] += delta;
                        v[j] -= delta;
                    } else {
                        minv[j] -= delta;
                    }
                }
                j0 = j1;
            } while (colOwner[j0] != 0);
            do {
                int j1 = way[j0];
                colOwner[j0] = colOwner[j1];
                j0 = j1;
            } while (j0 != 0);
        }
        int[] out = new int[rows];
        Arrays.fill(out, -1);
        for (int j = 1; j <= n; j++) {
            int i = colOwner[j];
            if (i >= 1 && i <= rows && j <= cols && w[i - 1][j - 1] > 0) out[i - 1] = j - 1;
        }
        return out;
    }
}

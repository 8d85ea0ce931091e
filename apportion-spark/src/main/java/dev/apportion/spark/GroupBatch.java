package dev.apportion.spark;

import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Turns the Spark rows of one group (rollout Parquet columns, see {@code docs/rollout-format.md})
 * into a {@link Rollouts} batch, applying the rules of the file readers that can be checked
 * inside a group: a group and a role on every row, lengths that agree, ids unique in the group,
 * finite numbers, the same token signals on every row (reward excepted). Errors name the group,
 * the trajectory and the column. Not thread-safe; one instance per task.
 */
final class GroupBatch {
    private final int group;
    private final int id;
    private final int tokens;
    private final int outcome;
    private final int components;
    private final int signals;
    private final int spans;
    private final int tokenSignals;
    private final int text;
    private final String[] tokenSignalNames;

    GroupBatch(StructType schema) {
        group = index(schema, "group");
        id = index(schema, "id");
        tokens = index(schema, "tokens");
        outcome = index(schema, "outcome");
        components = index(schema, "outcome_components");
        signals = index(schema, "signals");
        spans = index(schema, "spans");
        tokenSignals = index(schema, "token_signals");
        text = index(schema, "text");
        tokenSignalNames =
                tokenSignals < 0 ? new String[0] : ((StructType) schema.fields()[tokenSignals].dataType()).fieldNames();
    }

    private static int index(StructType schema, String name) {
        for (int k = 0; k < schema.fields().length; k++)
            if (schema.fields()[k].name().equals(name)) return k;
        return -1;
    }

    /** Ids of the rows in order (row number when null: the job passes the row's index in the file). */
    static String idOf(Row r, int idIndex, long rowIndex) {
        return idIndex < 0 || r.isNullAt(idIndex) ? Long.toString(rowIndex + 1) : r.getString(idIndex);
    }

    /**
     * Builds the batch of one group.
     *
     * @param rows the group's rows, in file order
     * @param rowIndex each row's 0-based index in the input (for default ids)
     */
    Rollouts build(String key, List<Row> rows, long[] rowIndex) {
        RolloutsBuilder b = Rollouts.builder();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            String tid = idOf(r, id, rowIndex[i]);
            String where = "group '" + key + "', trajectory '" + tid + "': ";
            if (!seen.add(tid))
                throw new IllegalArgumentException(
                        where + "column id: duplicate id '" + tid + "' in group '" + key + "'");
            try {
                b.trajectory(key, tid);
                if (outcome >= 0 && !r.isNullAt(outcome)) b.outcome(number(r.get(outcome)));
                if (components >= 0 && !r.isNullAt(components)) {
                    for (Map.Entry<Object, Object> e : r.getJavaMap(components).entrySet()) {
                        b.outcomeComponent(
                                (String) e.getKey(), e.getValue() == null ? Double.NaN : number(e.getValue()));
                    }
                }
                if (signals >= 0 && !r.isNullAt(signals)) {
                    for (Map.Entry<Object, Object> e : r.getJavaMap(signals).entrySet()) {
                        b.signal((String) e.getKey(), number(e.getValue()));
                    }
                }
                long total;
                if (spans >= 0 && !r.isNullAt(spans)) {
                    List<Row> ss = r.getList(spans);
                    total = 0;
                    for (int s = 0; s < ss.size(); s++) {
                        Row span = ss.get(s);
                        String at = "spans[" + s + "]";
                        String role = field(span, "role") == null ? null : (String) field(span, "role");
                        if (!"policy".equals(role) && !"context".equals(role)) {
                            throw new IllegalArgumentException(
                                    where + "column " + at + ".role: must be \"policy\" or \"context\", got " + role);
                        }
                        Object tk = field(span, "tokens");
                        if (tk == null)
                            throw new IllegalArgumentException(where + "column " + at + ".tokens: is missing");
                        long n = ((Number) tk).longValue();
                        if (n < 0 || n > Integer.MAX_VALUE - 8)
                            throw new IllegalArgumentException(
                                    where + "column " + at + ".tokens: must be >= 0, got " + n);
                        total += n;
                        Object reward = field(span, "reward");
                        b.span(
                                Role.parse(role),
                                (int) n,
                                reward == null ? Double.NaN : number(reward),
                                (String) field(span, "state"),
                                (String) field(span, "agent"));
                        Object sig = field(span, "signals");
                        if (sig != null) {
                            for (Map.Entry<Object, Object> e : span.<Object, Object>getJavaMap(
                                            span.fieldIndex("signals"))
                                    .entrySet()) {
                                b.spanSignal((String) e.getKey(), number(e.getValue()));
                            }
                        }
                    }
                    if (tokens >= 0 && !r.isNullAt(tokens) && ((Number) r.get(tokens)).longValue() != total) {
                        throw new IllegalArgumentException(where + "column tokens: tokens is " + r.get(tokens)
                                + " but the spans add up to " + total + " tokens");
                    }
                } else {
                    if (tokens < 0 || r.isNullAt(tokens))
                        throw new IllegalArgumentException(
                                where + "column tokens: is missing (and there are no spans)");
                    total = ((Number) r.get(tokens)).longValue();
                    if (total < 0 || total > Integer.MAX_VALUE - 8)
                        throw new IllegalArgumentException(where + "column tokens: must be >= 0, got " + total);
                    b.span(Role.POLICY, (int) total);
                }
                if (tokenSignals >= 0 && !r.isNullAt(tokenSignals)) {
                    Row ts = r.getStruct(tokenSignals);
                    for (int k = 0; k < tokenSignalNames.length; k++) {
                        if (ts.isNullAt(k)) continue;
                        List<Object> v = ts.getList(k);
                        String col = "token_signals." + tokenSignalNames[k];
                        if (v.size() != total) {
                            throw new IllegalArgumentException(where + "column " + col + ": has " + v.size()
                                    + " values but the trajectory has " + total + " tokens");
                        }
                        float[] f = new float[v.size()];
                        for (int t = 0; t < f.length; t++) {
                            Object x = v.get(t);
                            if (x == null)
                                throw new IllegalArgumentException(where + "column " + col + ": [" + t + "] is null");
                            f[t] = (float) number(x);
                        }
                        b.tokenSignal(tokenSignalNames[k], f);
                    }
                }
                if (text >= 0 && !r.isNullAt(text)) {
                    List<String> tx = r.getList(text);
                    if (tx.size() != total) {
                        throw new IllegalArgumentException(where + "column text: has " + tx.size()
                                + " strings but the trajectory has " + total + " tokens");
                    }
                    b.tokenText(tx.toArray(new String[0]));
                }
            } catch (RolloutException e) {
                throw new IllegalArgumentException("group '" + key + "': " + e.getMessage(), e);
            }
        }
        try {
            return b.build();
        } catch (RolloutException e) {
            throw new IllegalArgumentException("group '" + key + "': " + e.getMessage(), e);
        }
    }

    private static Object field(Row r, String name) {
        int k;
        try {
            k = r.fieldIndex(name);
        } catch (IllegalArgumentException absent) {
            return null;
        }
        return r.isNullAt(k) ? null : r.get(k);
    }

    private static double number(Object v) {
        double d = ((Number) v).doubleValue();
        if (!Double.isFinite(d) || Math.abs(d) > Float.MAX_VALUE) {
            throw new IllegalArgumentException("a number is not finite or out of the float32 range: " + d);
        }
        return d;
    }
}

package dev.apportion.view;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.apportion.core.rollout.Rollouts;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The viewer's data: one JSON object of compact, columnar arrays (no object per token).
 *
 * <pre>
 * prov    {source, apportion, limited?}     provenance
 * groups  [name]                            group keys; g[i] indexes them
 * id, out trajectory id, outcome (null = none; the sum of the components for outcome objects)
 * tok     [n+1]  token offsets              sp [n+1] span offsets
 * sl, sr, sag    per span: length, 1 = policy / 0 = context, agent index (-1 none); agents [name]
 * text    [T] token strings, or null
 * est     [{id, label, preset, params, a, span}]  a: base64 little-endian float32 of the T token
 *         advantages (exact: the viewer prints the shortest float32 decimal, the digits of
 *         credit JSONL); span: the same for span advantages, or null
 * findings [{t, severity, code, message}]  t = trajectory index, -1 = the whole batch
 * </pre>
 *
 * Only the first {@code limit} trajectories are included; the credit was computed on the whole batch.
 */
public final class InspectData {
    private InspectData() {}

    /** The JSON text of the viewer's data. */
    public static String json(
            Rollouts b, int limit, List<ViewerRun> runs, List<PinnedFinding> findings, Map<String, Object> prov) {
        int n = Math.min(limit, b.trajectoryCount());
        int tEnd = n == 0 ? 0 : b.tokenEnd(n - 1);
        int sEnd = n == 0 ? 0 : b.spanEnd(n - 1);
        StringWriter w = new StringWriter(Math.max(1024, tEnd * 12 * (1 + runs.size())));
        try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
            g.writeStartObject();
            g.writeFieldName("prov");
            g.writeStartObject();
            for (Map.Entry<String, Object> e : prov.entrySet())
                g.writeObjectField(
                        e.getKey(), e.getValue() == null ? null : e.getValue().toString());
            if (n < b.trajectoryCount()) g.writeNumberField("limited", b.trajectoryCount());
            g.writeEndObject();
            g.writeArrayFieldStart("groups");
            for (int k = 0; k < b.groupCount(); k++) g.writeString(b.groupKey(k));
            g.writeEndArray();
            g.writeArrayFieldStart("g");
            for (int i = 0; i < n; i++) g.writeNumber(b.trajectoryGroup(i));
            g.writeEndArray();
            g.writeArrayFieldStart("id");
            for (int i = 0; i < n; i++) g.writeString(b.trajectoryId(i));
            g.writeEndArray();
            float[] out = b.outcome();
            Map<String, float[]> comps = b.outcomeComponents();
            g.writeArrayFieldStart("out");
            for (int i = 0; i < n; i++) {
                double o = outcome(out, comps, i);
                if (Double.isNaN(o)) g.writeNull();
                else g.writeNumber((float) o);
            }
            g.writeEndArray();
            if ((out == null || allNaN(out, n)) && comps != null && !comps.isEmpty()) {
                g.writeStringField("outLabel", "sum of outcome components " + comps.keySet());
            }
            g.writeArrayFieldStart("tok");
            for (int i = 0; i <= n; i++) g.writeNumber(i == 0 ? 0 : b.tokenEnd(i - 1));
            g.writeEndArray();
            g.writeArrayFieldStart("sp");
            for (int i = 0; i <= n; i++) g.writeNumber(i == 0 ? 0 : b.spanEnd(i - 1));
            g.writeEndArray();
            g.writeArrayFieldStart("sl");
            for (int s = 0; s < sEnd; s++) g.writeNumber(b.spanTokenEnd(s) - b.spanTokenStart(s));
            g.writeEndArray();
            g.writeArrayFieldStart("sr");
            for (int s = 0; s < sEnd; s++) g.writeNumber(b.isPolicySpan(s) ? 1 : 0);
            g.writeEndArray();
            String[] agent = b.spanAgent();
            Map<String, Integer> agents = new LinkedHashMap<>();
            g.writeArrayFieldStart("sag");
            for (int s = 0; s < sEnd; s++) {
                String a = agent == null ? null : agent[s];
                g.writeNumber(a == null ? -1 : agents.computeIfAbsent(a, x -> agents.size()));
            }
            g.writeEndArray();
            g.writeArrayFieldStart("agents");
            for (String a : agents.keySet()) g.writeString(a);
            g.writeEndArray();
            String[] text = b.tokenText();
            g.writeFieldName("text");
            if (text == null) {
                g.writeNull();
            } else {
                g.writeStartArray();
                for (int t = 0; t < tEnd; t++) g.writeString(text[t] == null ? "" : text[t]);
                g.writeEndArray();
            }
            g.writeArrayFieldStart("est");
            for (ViewerRun r : runs) {
                g.writeStartObject();
                g.writeStringField("id", r.id());
                g.writeStringField("label", r.label());
                g.writeStringField("preset", r.preset());
                g.writeObjectFieldStart("params");
                for (Map.Entry<String, Object> e : r.params().entrySet()) writeValue(g, e.getKey(), e.getValue());
                g.writeEndObject();
                g.writeStringField("a", base64(r.credit().advantages(), tEnd));
                float[] span = r.credit().spanAdvantages();
                if (span == null) g.writeNullField("span");
                else g.writeStringField("span", base64(span, sEnd));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("findings");
            for (Pinned p : pin(b, n, findings)) {
                g.writeStartObject();
                g.writeNumberField("t", p.t);
                g.writeStringField("severity", p.f.severity());
                g.writeStringField("code", p.f.code());
                g.writeStringField("message", p.f.message());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    /** The trajectory's outcome: the scalar one, else the sum of its non-NaN components, else NaN. */
    static double outcome(float[] out, Map<String, float[]> comps, int i) {
        if (out != null && !Float.isNaN(out[i])) return out[i];
        if (comps == null || comps.isEmpty()) return Double.NaN;
        double s = 0;
        boolean any = false;
        for (float[] c : comps.values()) {
            if (!Float.isNaN(c[i])) {
                s += c[i];
                any = true;
            }
        }
        return any ? s : Double.NaN;
    }

    private static boolean allNaN(float[] a, int n) {
        for (int i = 0; i < n; i++) if (!Float.isNaN(a[i])) return false;
        return true;
    }

    private record Pinned(int t, PinnedFinding f) {}

    private static List<Pinned> pin(Rollouts b, int n, List<PinnedFinding> findings) {
        List<Pinned> out = new ArrayList<>();
        if (findings.isEmpty()) return out;
        Map<String, Integer> byKey = new HashMap<>();
        for (int i = 0; i < n; i++) byKey.put(b.groupKey(b.trajectoryGroup(i)) + '\u0000' + b.trajectoryId(i), i);
        for (PinnedFinding f : findings) {
            if (f.id() != null && f.group() != null) {
                Integer i = byKey.get(f.group() + '\u0000' + f.id());
                if (i != null) out.add(new Pinned(i, f));
            } else if (f.group() != null) {
                for (int i = 0; i < n; i++)
                    if (b.groupKey(b.trajectoryGroup(i)).equals(f.group())) out.add(new Pinned(i, f));
            } else {
                out.add(new Pinned(-1, f));
            }
        }
        return out;
    }

    private static void writeValue(JsonGenerator g, String k, Object v) throws IOException {
        g.writeFieldName(k);
        if (v == null) g.writeNull();
        else if (v instanceof Number num) {
            if (v instanceof Double d && !Double.isFinite(d)) g.writeString(d.toString());
            else if (v instanceof Float f && !Float.isFinite(f)) g.writeString(f.toString());
            else if (v instanceof Integer || v instanceof Long) g.writeNumber(num.longValue());
            else g.writeNumber(num.doubleValue());
        } else if (v instanceof Boolean bo) g.writeBoolean(bo);
        else if (v instanceof double[] arr) {
            g.writeStartArray();
            for (double d : arr) g.writeNumber(d);
            g.writeEndArray();
        } else if (v instanceof List<?> list) {
            g.writeStartArray();
            for (Object o : list) g.writeString(String.valueOf(o));
            g.writeEndArray();
        } else g.writeString(v.toString());
    }

    static String base64(float[] a, int n) {
        ByteBuffer bb = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) bb.putFloat(a[i] == 0f ? 0f : a[i]);
        return Base64.getEncoder().encodeToString(bb.array());
    }
}

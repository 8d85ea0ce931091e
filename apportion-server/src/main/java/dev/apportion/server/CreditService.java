package dev.apportion.server;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.io.CreditJsonl;
import dev.apportion.io.EstimatorCatalogJson;
import dev.apportion.io.InputException;
import dev.apportion.io.Json;
import dev.apportion.io.RolloutJsonl;
import dev.apportion.io.doctor.Doctor;
import dev.apportion.io.doctor.DoctorReport;
import dev.apportion.io.doctor.Finding;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the endpoints compute, independent of HTTP: a request body and its query parameters in,
 * a response body out, or an {@link ApiException} carrying the status and the one-line message.
 *
 * <p>The JSONL path is the {@code apportion assign} path: {@link RolloutJsonl#read} on the
 * body, the estimator with {@link Params#resolve} on the query's preset and parameters, and
 * {@link CreditJsonl#write} on the result, so the answer is byte for byte the file
 * {@code assign} writes, and an error carries the message {@code assign} prints with the input
 * named {@value #SOURCE} instead of a file name. Thread-safe; each call runs its estimator
 * sequentially (the server's concurrency is across requests).
 */
public final class CreditService {
    /** Name of the input in error messages (where {@code assign} names the file). */
    public static final String SOURCE = "body";
    /** Media type of rollout and credit JSONL. */
    public static final String NDJSON = "application/x-ndjson";

    private final EstimatorRegistry registry;
    private final long maxTokens;
    private final byte[] estimatorsJson;

    /** A computed answer. */
    public record Answer(String contentType, byte[] body, long tokens, String estimator) {}

    public CreditService(EstimatorRegistry registry, long maxTokens) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.maxTokens = maxTokens;
        this.estimatorsJson =
                (EstimatorCatalogJson.render(registry.all()) + System.lineSeparator()).getBytes(StandardCharsets.UTF_8);
    }

    /** {@code GET /v1/estimators}: exactly what {@code apportion estimators --json} prints. */
    public byte[] estimatorsJson() {
        return estimatorsJson.clone();
    }

    /** An estimator with resolved parameters. */
    record Resolved(Estimator estimator, Params params) {}

    /**
     * Resolves {@code estimator}, {@code preset} and {@code param.KEY} query parameters.
     *
     * @param required false for validate, where the estimator is optional
     * @throws ApiException 400 for a missing or unknown estimator, preset or parameter, a bad
     *     value, or an unknown query parameter
     */
    Resolved resolve(Map<String, List<String>> query, boolean required) {
        String id = null;
        String preset = null;
        Map<String, String> params = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : query.entrySet()) {
            String k = e.getKey();
            if (e.getValue().size() != 1)
                throw new ApiException(
                        400,
                        "query parameter '" + k + "' is given " + e.getValue().size() + " times");
            String v = e.getValue().get(0);
            if (k.equals("estimator")) id = v;
            else if (k.equals("preset")) preset = v;
            else if (k.startsWith("param.") && k.length() > 6) params.put(k.substring(6), v);
            else
                throw new ApiException(
                        400, "unknown query parameter '" + k + "' (known: estimator, preset, param.KEY)");
        }
        if (id == null || id.isEmpty()) {
            if (required) throw new ApiException(400, "missing query parameter 'estimator' (see GET /v1/estimators)");
            if (preset != null || !params.isEmpty())
                throw new ApiException(400, "'preset' and 'param.KEY' need 'estimator'");
            return null;
        }
        try {
            Estimator e = registry.get(id);
            return new Resolved(e, Params.resolve(e.descriptor(), preset, params));
        } catch (IllegalArgumentException ex) {
            throw new ApiException(400, oneLine(ex.getMessage()), 0, ex);
        }
    }

    /**
     * {@code POST /v1/credit}.
     *
     * @param binary true for the {@link PaddedBinary} body, false for rollout JSONL
     */
    public Answer credit(Map<String, List<String>> query, boolean binary, byte[] body) {
        Resolved est = resolve(query, true);
        if (binary) {
            PaddedBinary.Batch padded = PaddedBinary.read(body, maxTokens);
            Rollouts batch;
            try {
                batch = padded.toRollouts();
            } catch (IllegalArgumentException e) {
                throw new ApiException(422, "binary body: " + oneLine(e.getMessage()), 0, e);
            }
            Credit credit = assign(est, batch);
            return new Answer(
                    PaddedBinary.MEDIA_TYPE,
                    PaddedBinary.writeCredit(padded.rows(), padded.length(), credit),
                    batch.tokenCount(),
                    est.estimator().id());
        }
        Rollouts batch = readJsonl(body);
        Credit credit = assign(est, batch);
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(1024, body.length));
        try (Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8)) {
            CreditJsonl.write(w, batch, credit);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (IllegalArgumentException e) {
            // a non-finite credit value: the estimator's answer cannot be written, as in assign
            throw new ApiException(422, oneLine(e.getMessage()), 0, e);
        }
        return new Answer(
                NDJSON, out.toByteArray(), batch.tokenCount(), est.estimator().id());
    }

    /**
     * {@code POST /v1/validate}: the project's doctor ({@link Doctor#examine}) on the batch and,
     * with an estimator, on the credit that estimator assigns to it, as JSON
     * {@code {"ok": ..., "summary": {...}, "counts": {...}, "findings": [...]}}. The findings
     * are the doctor's vocabulary ({@code apportion doctor} reports the same codes); the service
     * adds only what the doctor cannot see because no batch exists yet: {@code unreadable} (the
     * body does not parse), and for a binary body {@code mask_value} and {@code non_finite} on
     * its raw arrays ({@link BatchCheck#checkArrays}). Content problems are findings (status
     * 200); only a malformed request is an error.
     */
    public Answer validate(Map<String, List<String>> query, boolean binary, byte[] body) {
        Resolved est = resolve(query, false);
        BatchCheck.Findings findings = new BatchCheck.Findings();
        Rollouts batch = null;
        long tokens = 0;
        if (binary) {
            PaddedBinary.Batch padded = PaddedBinary.read(body, maxTokens);
            tokens = padded.positions();
            BatchCheck.checkArrays(padded, findings);
            if (!findings.hasErrors()) {
                try {
                    batch = padded.toRollouts();
                } catch (IllegalArgumentException e) {
                    findings.add("error", "unreadable", "binary body: " + oneLine(e.getMessage()), null, null, 0);
                }
            }
        } else {
            try {
                batch = readJsonl(body);
            } catch (ApiException e) {
                if (e.status() != 400) throw e;
                findings.add("error", "unreadable", e.getMessage(), null, null, e.line());
            }
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        if (batch != null) {
            tokens = batch.tokenCount();
            DoctorReport report = Doctor.examine(
                    batch, est == null ? null : est.estimator(), est == null ? null : est.params(), registry);
            for (Finding f : report.findings()) {
                findings.add(f.severity().wireName(), f.code(), oneLine(f.message()), f.group(), f.id(), 0);
            }
            summary = new LinkedHashMap<>(report.summary());
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("ok", !findings.hasErrors());
        if (est != null) doc.put("estimator", est.estimator().id());
        doc.put("summary", summary);
        doc.put("counts", findings.counts());
        doc.put(
                "findings",
                findings.list().stream().map(BatchCheck.Finding::toJson).toList());
        return new Answer(
                "application/json",
                json(doc),
                tokens,
                est == null ? null : est.estimator().id());
    }

    private Rollouts readJsonl(byte[] body) {
        Rollouts batch;
        try {
            batch = RolloutJsonl.read(new ByteArrayInputStream(body), SOURCE);
        } catch (InputException e) {
            throw new ApiException(400, oneLine(e.getMessage()), e.line(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (batch.tokenCount() > maxTokens) {
            throw new ApiException(
                    422,
                    SOURCE + ": the batch has " + batch.tokenCount() + " tokens, more than the limit of " + maxTokens
                            + " tokens per request (--max-tokens)");
        }
        return batch;
    }

    private static Credit assign(Resolved est, Rollouts batch) {
        try {
            return est.estimator().assign(batch, est.params(), Execution.sequential());
        } catch (IllegalArgumentException e) {
            // the estimator refused the batch (missing signal, broken precondition), as assign reports it
            throw new ApiException(422, SOURCE + ": " + oneLine(e.getMessage()), 0, e);
        }
    }

    /** A JSON document as UTF-8 bytes with a final line break. */
    static byte[] json(Object doc) {
        try {
            return (Json.mapper().writeValueAsString(doc) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The error document {@code {"error": message, "line": N}} (line only when > 0). */
    static byte[] error(String message, int line) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", message);
        if (line > 0) m.put("line", line);
        return json(m);
    }

    static String oneLine(String s) {
        if (s == null) return "";
        return s.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    static String describe(Throwable t) {
        String m = t.getMessage();
        return t.getClass().getName() + (m == null || m.isBlank() ? "" : ": " + oneLine(m));
    }
}

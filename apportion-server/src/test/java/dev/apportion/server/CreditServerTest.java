package dev.apportion.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.io.CreditJsonl;
import dev.apportion.io.EstimatorCatalogJson;
import dev.apportion.io.RolloutJsonl;
import dev.apportion.io.VerlLayout;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The endpoints over real HTTP on loopback: answers, and the status and message of every kind of error. */
class CreditServerTest {
    static final EstimatorRegistry REGISTRY = EstimatorRegistry.global();
    static CreditServer server;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        server = new CreditServer(
                        ServerConfig.defaults()
                                .withPort(0)
                                .withMaxBodyBytes(1 << 20)
                                .withMaxTokens(200_000)
                                .withRequestLog(false),
                        REGISTRY,
                        null)
                .start();
        http = new Http(server.url());
    }

    @AfterAll
    static void stop() throws Exception {
        server.stop();
    }

    /** What {@code apportion assign} computes: the io reader, the estimator, the io writer. */
    static String assignPath(String jsonl, String estimator, String preset, Map<String, String> params)
            throws Exception {
        Rollouts batch = RolloutJsonl.read(new StringReader(jsonl), "body");
        Estimator e = REGISTRY.get(estimator);
        Credit c = e.assign(batch, Params.resolve(e.descriptor(), preset, params));
        StringWriter w = new StringWriter();
        CreditJsonl.write(w, batch, c);
        return w.toString();
    }

    @Test
    void healthz() {
        Http.Reply r = http.get("/healthz");
        assertEquals(200, r.status());
        assertEquals("ok", r.json().get("status").asText());
    }

    @Test
    void estimatorsAreTheCatalogJson() {
        Http.Reply r = http.get("/v1/estimators");
        assertEquals(200, r.status());
        assertEquals(EstimatorCatalogJson.render(REGISTRY.all()) + System.lineSeparator(), r.text());
        assertEquals(REGISTRY.all().size(), r.json().size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"grpo", "rloo", "dr_grpo", "gae", "reinforce_plus_plus", "gigpo", "opo"})
    void creditJsonlEqualsTheAssignPath(String estimator) throws Exception {
        String body = TestBatches.jsonl(5, 4, 6, estimator.hashCode());
        Http.Reply r = http.postJsonl("/v1/credit?estimator=" + estimator, body);
        assertEquals(200, r.status(), r::toString);
        assertEquals("application/x-ndjson", r.contentType());
        assertEquals(assignPath(body, estimator, null, Map.of()), r.text());
    }

    @Test
    void presetAndParametersReachTheEstimator() throws Exception {
        String body = TestBatches.jsonl(4, 3, 5, 7);
        Http.Reply r = http.postJsonl("/v1/credit?estimator=gae&preset=verl&param.gamma=0.9&param.lambda=0.8", body);
        assertEquals(200, r.status(), r::toString);
        assertEquals(assignPath(body, "gae", "verl", Map.of("gamma", "0.9", "lambda", "0.8")), r.text());
        assertFalse(
                r.text().equals(assignPath(body, "gae", "verl", Map.of())), "the parameters must change the answer");
    }

    @Test
    void binaryBodyAnswersInKindWithTheSameCreditAsJsonl() {
        TestBatches.Padded p = TestBatches.padded(6, 4, 24, 11);
        for (boolean tokenLevel : new boolean[] {false, true}) {
            for (String est : List.of("grpo", "rloo", "dr_grpo", "reinforce_plus_plus")) {
                String q = "/v1/credit?estimator=" + est;
                Http.Reply bin = http.postBinary(q, p.body(tokenLevel));
                assertEquals(200, bin.status(), bin::toString);
                assertEquals(PaddedBinary.MEDIA_TYPE, bin.contentType());
                Map<String, float[]> got = decodeCredit(bin.body(), p.rows(), p.length());
                Http.Reply json = http.postJsonl(q, p.jsonl(tokenLevel));
                assertEquals(200, json.status(), json::toString);
                float[] want = advantagesOf(json.text(), p.rows(), p.length());
                assertArrayEquals(want, got.get("advantages"), est + (tokenLevel ? " token rewards" : " scores"));
            }
        }
    }

    @Test
    void binaryBodyMatchesTheVerlLayoutComputation() {
        TestBatches.Padded p = TestBatches.padded(8, 5, 16, 3);
        Http.Reply bin = http.postBinary("/v1/credit?estimator=reinforce_plus_plus", p.body(true));
        assertEquals(200, bin.status(), bin::toString);
        float[][] mask = new float[p.rows()][p.length()];
        float[][] rew = new float[p.rows()][p.length()];
        String[] index = new String[p.rows()];
        for (int i = 0; i < p.rows(); i++) {
            index[i] = Integer.toString(p.index()[i]);
            for (int t = 0; t < p.length(); t++) {
                mask[i][t] = p.mask()[i * p.length() + t];
                rew[i][t] = p.tokenRewards()[i * p.length() + t];
            }
        }
        Rollouts batch = VerlLayout.toRollouts(rew, mask, index, null);
        Credit c = REGISTRY.get("reinforce_plus_plus").assign(batch);
        Map<String, float[]> got = decodeCredit(bin.body(), p.rows(), p.length());
        assertArrayEquals(c.advantages(), got.get("advantages"));
        assertArrayEquals(c.returns(), got.get("returns"));
    }

    // ---- errors -------------------------------------------------------------------------------

    @Test
    void malformedJsonIs400WithTheLine() throws Exception {
        String body = TestBatches.jsonl(2, 2, 3, 1);
        String broken = body.replaceFirst("(?s)(.*?\\n.*?\\n)\\{", "$1{\"group\": ");
        Http.Reply r = http.postJsonl("/v1/credit?estimator=grpo", broken);
        assertEquals(400, r.status(), r::toString);
        assertEquals(3, r.json().get("line").asInt());
        assertTrue(r.json().get("error").asText().startsWith("body:3: "), r::toString);
        assertEquals(assignError(broken), r.json().get("error").asText());
    }

    /** The message assign's reader gives for the same content (file named "body"). */
    static String assignError(String jsonl) throws Exception {
        try {
            RolloutJsonl.read(new java.io.ByteArrayInputStream(jsonl.getBytes(StandardCharsets.UTF_8)), "body");
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        throw new AssertionError("the reader accepted the input");
    }

    @Test
    void invalidFieldNamesTheLineAndField() throws Exception {
        String body = "{\"group\": \"g\", \"id\": \"a\", \"outcome\": 1, \"tokens\": 2}\n"
                + "{\"group\": \"g\", \"id\": \"b\", \"outcome\": 0, \"tokens\": 2, \"token_signals\": {\"logprob\": [0.1]}}\n";
        Http.Reply r = http.postJsonl("/v1/credit?estimator=grpo", body);
        assertEquals(400, r.status(), r::toString);
        assertEquals(2, r.json().get("line").asInt());
        assertEquals(assignError(body), r.json().get("error").asText());
        assertTrue(r.json().get("error").asText().contains("token_signals.logprob"), r::toString);
    }

    @Test
    void oversizedBodyIs413() {
        byte[] big = new byte[(1 << 20) + 10];
        java.util.Arrays.fill(big, (byte) ' ');
        Http.Reply r = http.post("/v1/credit?estimator=grpo", "application/x-ndjson", big);
        assertEquals(413, r.status(), r::toString);
        assertTrue(r.json().get("error").asText().contains("more than the limit of 1048576 bytes"), r::toString);
    }

    @Test
    void oversizedChunkedBodyIs413() throws Exception {
        byte[] big = new byte[(1 << 20) + 10];
        java.util.Arrays.fill(big, (byte) ' ');
        java.net.http.HttpClient c = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1)
                .build();
        java.net.http.HttpResponse<String> r = c.send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.url() + "/v1/credit?estimator=grpo"))
                        .header("Content-Type", "application/x-ndjson")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                                () -> new java.io.ByteArrayInputStream(big)))
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(413, r.statusCode(), r::body);
        assertTrue(r.body().contains("more than 1048576 bytes"), r::body);
    }

    @Test
    void tooManyTokensIs422() {
        String body = "{\"group\": \"g\", \"id\": \"a\", \"outcome\": 1, \"tokens\": 150000}\n"
                + "{\"group\": \"g\", \"id\": \"b\", \"outcome\": 0, \"tokens\": 150000}\n";
        Http.Reply r = http.postJsonl("/v1/credit?estimator=grpo", body);
        assertEquals(422, r.status(), r::toString);
        assertTrue(
                r.json().get("error").asText().contains("300000 tokens, more than the limit of 200000"), r::toString);
        byte[] bin = TestBatches.encode(2, 150_000, new int[2], new byte[300_000], new float[2], null);
        Http.Reply rb = http.postBinary("/v1/credit?estimator=grpo", bin);
        assertEquals(422, rb.status(), rb::toString);
    }

    @Test
    void unknownEstimatorIs400WithTheRegistryMessage() {
        Http.Reply r = http.postJsonl("/v1/credit?estimator=grpoo", TestBatches.jsonl(1, 2, 2, 1));
        assertEquals(400, r.status(), r::toString);
        String want;
        try {
            REGISTRY.get("grpoo");
            throw new AssertionError();
        } catch (IllegalArgumentException e) {
            want = e.getMessage();
        }
        assertEquals(want, r.json().get("error").asText());
        assertTrue(want.contains("did you mean 'grpo'"), want);
        assertNull(r.json().get("line"));
    }

    @Test
    void badParameterIs400() {
        String body = TestBatches.jsonl(1, 2, 2, 1);
        Http.Reply r = http.postJsonl("/v1/credit?estimator=gae&param.gamma=abc", body);
        assertEquals(400, r.status(), r::toString);
        assertTrue(r.json().get("error").asText().contains("gamma"), r::toString);
        Http.Reply unknown = http.postJsonl("/v1/credit?estimator=grpo&param.nope=1", body);
        assertEquals(400, unknown.status(), unknown::toString);
        assertTrue(unknown.json().get("error").asText().contains("nope"), unknown::toString);
        Http.Reply preset = http.postJsonl("/v1/credit?estimator=grpo&preset=nosuch", body);
        assertEquals(400, preset.status(), preset::toString);
        assertTrue(preset.json().get("error").asText().contains("nosuch"), preset::toString);
        Http.Reply stray = http.postJsonl("/v1/credit?estimator=grpo&gamma=1", body);
        assertEquals(400, stray.status(), stray::toString);
        assertEquals(
                "unknown query parameter 'gamma' (known: estimator, preset, param.KEY)",
                stray.json().get("error").asText());
        Http.Reply none = http.postJsonl("/v1/credit", body);
        assertEquals(400, none.status(), none::toString);
    }

    @Test
    void missingSignalIs422WithTheEstimatorsMessage() {
        String body = "{\"group\": \"g\", \"id\": \"a\", \"outcome\": 1, \"tokens\": 2}\n"
                + "{\"group\": \"g\", \"id\": \"b\", \"outcome\": 0, \"tokens\": 2}\n";
        Http.Reply r = http.postJsonl("/v1/credit?estimator=gae", body);
        assertEquals(422, r.status(), r::toString);
        String msg = r.json().get("error").asText();
        assertTrue(msg.startsWith("body: estimator 'gae' needs the token signal 'value'"), msg);
    }

    @Test
    void malformedBinaryIs400() {
        byte[] body = TestBatches.padded(2, 2, 8, 1).body(false);
        Http.Reply truncated =
                http.postBinary("/v1/credit?estimator=grpo", java.util.Arrays.copyOf(body, body.length - 3));
        assertEquals(400, truncated.status(), truncated::toString);
        assertTrue(truncated.json().get("error").asText().startsWith("binary body: "), truncated::toString);
        byte[] magic = body.clone();
        magic[0] = 'X';
        Http.Reply m = http.postBinary("/v1/credit?estimator=grpo", magic);
        assertEquals(400, m.status(), m::toString);
        assertEquals(
                "binary body: the body does not start with the magic bytes \"APB1\"",
                m.json().get("error").asText());
    }

    @Test
    void nonFiniteBinaryValueIs422() {
        TestBatches.Padded p = TestBatches.padded(2, 2, 8, 1);
        float[] rew = p.tokenRewards().clone();
        rew[9] = Float.NaN;
        byte[] body = TestBatches.encode(p.rows(), p.length(), p.index(), p.mask(), null, rew);
        Http.Reply r = http.postBinary("/v1/credit?estimator=grpo", body);
        assertEquals(422, r.status(), r::toString);
        assertEquals(
                "binary body: reward[1][1] is NaN; token values must be finite",
                r.json().get("error").asText());
    }

    @Test
    void wrongMethodPathAndContentType() {
        assertEquals(405, http.get("/v1/credit?estimator=grpo").status());
        Http.Reply nf = http.get("/v2/nothing");
        assertEquals(404, nf.status());
        assertTrue(nf.json().get("error").asText().startsWith("no such endpoint: GET /v2/nothing"));
        Http.Reply ct = http.post("/v1/credit?estimator=grpo", "image/png", new byte[] {1});
        assertEquals(415, ct.status());
    }

    // ---- validate -----------------------------------------------------------------------------

    @Test
    void validateReportsDegenerateAndSingletonGroups() {
        String body = "{\"group\": \"same\", \"id\": \"a\", \"outcome\": 1, \"tokens\": 2}\n"
                + "{\"group\": \"same\", \"id\": \"b\", \"outcome\": 1, \"tokens\": 3}\n"
                + "{\"group\": \"alone\", \"id\": \"c\", \"outcome\": 0, \"tokens\": 2}\n"
                + "{\"group\": \"fine\", \"id\": \"d\", \"outcome\": 0, \"spans\": [{\"role\": \"context\", \"tokens\": 2}]}\n"
                + "{\"group\": \"fine\", \"id\": \"e\", \"outcome\": 1, \"tokens\": 2}\n";
        Http.Reply r = http.postJsonl("/v1/validate", body);
        assertEquals(200, r.status(), r::toString);
        JsonNode doc = r.json();
        assertTrue(doc.get("ok").asBoolean(), r::toString);
        assertEquals(
                Set.of("zero_signal_groups", "singleton_groups", "no_policy_tokens", "partial_groups", "length_bias"),
                codes(doc));
        // the doctor's findings, one per code, naming the group when exactly one is concerned
        assertEquals("same", finding(doc, "zero_signal_groups").get("group").asText());
        assertEquals("alone", finding(doc, "singleton_groups").get("group").asText());
        assertEquals("d", finding(doc, "no_policy_tokens").get("id").asText());
        assertEquals(5, doc.get("summary").get("trajectories").asInt());
        assertEquals(3, doc.get("summary").get("groups").asInt());
    }

    @Test
    void validateTurnsUnreadableInputAndRefusalsIntoErrorFindings() {
        Http.Reply r =
                http.postJsonl("/v1/validate", "{\"group\": \"g\", \"id\": \"a\", \"outcome\": NaN, \"tokens\": 2}\n");
        assertEquals(200, r.status(), r::toString);
        assertFalse(r.json().get("ok").asBoolean());
        assertEquals(Set.of("unreadable"), codes(r.json()));
        assertEquals(1, r.json().get("findings").get(0).get("line").asInt());

        String ok =
                "{\"group\": \"g\", \"id\": \"a\", \"outcome\": 1, \"tokens\": 2}\n{\"group\": \"g\", \"id\": \"b\", \"outcome\": 0, \"tokens\": 2}\n";
        Http.Reply refused = http.postJsonl("/v1/validate?estimator=gae", ok);
        assertEquals(200, refused.status(), refused::toString);
        assertFalse(refused.json().get("ok").asBoolean());
        assertTrue(codes(refused.json()).contains("estimator_cannot_run"), refused::toString);
        assertEquals(
                "error",
                finding(refused.json(), "estimator_cannot_run").get("severity").asText());
        assertTrue(
                finding(refused.json(), "estimator_cannot_run")
                        .get("message")
                        .asText()
                        .contains("value"),
                refused::toString);
        Http.Reply accepted = http.postJsonl("/v1/validate?estimator=grpo", ok);
        assertTrue(accepted.json().get("ok").asBoolean(), accepted::toString);
        assertEquals(Set.of(), codes(accepted.json()));
    }

    @Test
    void validateBinaryReportsNaNAndMaskValuesBeforeTheDoctor() {
        TestBatches.Padded p = TestBatches.padded(2, 3, 8, 5);
        float[] rew = p.tokenRewards().clone();
        rew[3] = Float.NaN;
        byte[] mask = p.mask().clone();
        mask[8 + 2] = 2;
        Http.Reply r =
                http.postBinary("/v1/validate", TestBatches.encode(p.rows(), p.length(), p.index(), mask, null, rew));
        assertEquals(200, r.status(), r::toString);
        assertFalse(r.json().get("ok").asBoolean());
        assertEquals(Set.of("non_finite", "mask_value"), codes(r.json()));

        // a clean binary body reaches the doctor, whose summary it answers with
        Http.Reply w = http.postBinary(
                "/v1/validate?estimator=grpo",
                TestBatches.encode(p.rows(), p.length(), p.index(), p.mask(), null, p.tokenRewards()));
        assertEquals(200, w.status(), w::toString);
        assertTrue(w.json().get("ok").asBoolean(), w::toString);
        assertEquals("grpo", w.json().get("summary").get("estimator").asText());
        assertTrue(w.json().get("summary").has("policy_tokens"), w::toString);
    }

    static JsonNode finding(JsonNode doc, String code) {
        for (JsonNode f : doc.get("findings")) if (f.get("code").asText().equals(code)) return f;
        throw new AssertionError("no finding " + code + " in " + doc);
    }

    static Set<String> codes(JsonNode doc) {
        Set<String> out = new TreeSet<>();
        for (JsonNode f : doc.get("findings")) out.add(f.get("code").asText());
        return out;
    }

    // ---- openapi ------------------------------------------------------------------------------

    @Test
    void openApiDocumentsExactlyTheServedEndpoints() {
        Http.Reply r = http.get("/openapi.json");
        assertEquals(200, r.status());
        JsonNode doc = r.json();
        assertTrue(doc.get("openapi").asText().startsWith("3."));
        Set<String> documented = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.get("paths").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            for (Iterator<String> m = e.getValue().fieldNames(); m.hasNext(); )
                documented.add(m.next().toUpperCase() + " " + e.getKey());
        }
        assertEquals(
                new TreeSet<>(List.of(
                        "GET /",
                        "GET /healthz",
                        "GET /v1/estimators",
                        "GET /openapi.json",
                        "POST /v1/credit",
                        "POST /v1/validate",
                        "GET /view/files/{name}",
                        "GET /reports/{path}")),
                documented);
        // every documented operation is served (not 404/405) and no undocumented method is
        for (String op : documented) {
            String[] mp = op.split(" ");
            if (mp[1].contains("{")) {
                // file routes: without a configured folder, a JSON 404 (ServerViewerTest serves files)
                String concrete = mp[1].replaceAll("\\{[a-z]+}", "x.jsonl");
                assertEquals(404, http.get(concrete).status(), op);
                assertEquals(405, http.postJsonl(concrete, "").status(), op);
                continue;
            }
            Http.Reply got = mp[0].equals("GET")
                    ? http.get(mp[1])
                    : http.postJsonl(mp[1] + "?estimator=grpo", TestBatches.jsonl(1, 2, 2, 1));
            assertEquals(200, got.status(), op + " -> " + got);
            Http.Reply other = mp[0].equals("GET") ? http.postJsonl(mp[1], "") : http.get(mp[1]);
            assertEquals(405, other.status(), op);
        }
        // every $ref resolves
        List<String> refs = new ArrayList<>();
        collectRefs(doc, refs);
        assertFalse(refs.isEmpty());
        for (String ref : refs) {
            assertTrue(ref.startsWith("#/"), ref);
            assertNotNull(
                    doc.at(ref.substring(1)).isMissingNode() ? null : doc.at(ref.substring(1)), "unresolved " + ref);
        }
        // every finding code the server can emit is named in the schema
        String codes = doc.at("/components/schemas/Finding/properties/code/description")
                .asText();
        for (String c : List.of(
                "unreadable",
                "mask_value",
                "non_finite",
                "singleton_groups",
                "zero_signal_groups",
                "near_equal_rewards",
                "no_reward",
                "missing_outcome",
                "empty_turns",
                "no_policy_tokens",
                "mask_conflict",
                "partial_groups",
                "length_bias",
                "estimator_cannot_run",
                "non_finite_credit",
                "exploding_advantages",
                "zero_credit",
                "inert_term",
                "turn_credit_constant")) {
            assertTrue(codes.contains(c + ",") || codes.contains(c + " ("), c);
        }
    }

    private static void collectRefs(JsonNode n, List<String> out) {
        if (n.isObject()) {
            n.fields().forEachRemaining(e -> {
                if (e.getKey().equals("$ref")) out.add(e.getValue().asText());
                else collectRefs(e.getValue(), out);
            });
        } else if (n.isArray()) {
            n.forEach(c -> collectRefs(c, out));
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    static float[] advantagesOf(String creditJsonl, int rows, int length) {
        float[] out = new float[rows * length];
        String[] lines = creditJsonl.split("\n");
        assertEquals(rows, lines.length);
        for (int i = 0; i < rows; i++) {
            JsonNode a = new Http.Reply(200, null, lines[i].getBytes(StandardCharsets.UTF_8))
                    .json()
                    .get("advantages");
            assertEquals(length, a.size());
            for (int t = 0; t < length; t++) out[i * length + t] = a.get(t).floatValue();
        }
        return out;
    }

    static Map<String, float[]> decodeCredit(byte[] body, int rows, int length) {
        ByteBuffer b = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(PaddedBinary.MAGIC, b.getInt());
        assertEquals(2, b.getInt());
        assertEquals(rows, b.getInt());
        assertEquals(length, b.getInt());
        assertEquals(0, b.getInt());
        int t = b.getInt();
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        for (int k = 0; k < t; k++) {
            int n = b.getInt();
            byte[] name = new byte[n];
            b.get(name);
            b.position((b.position() + 3) & ~3);
            float[] a = new float[rows * length];
            b.asFloatBuffer().get(a);
            b.position(b.position() + 4 * a.length);
            out.put(new String(name, StandardCharsets.UTF_8), a);
        }
        assertFalse(b.hasRemaining());
        return out;
    }
}

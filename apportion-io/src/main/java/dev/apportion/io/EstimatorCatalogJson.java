package dev.apportion.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.SignalRequirement;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The estimator registry as JSON, one object per estimator (snake_case keys, enum values in
 * their wire names): the document of {@code apportion estimators --json} and of the credit
 * service's {@code GET /v1/estimators}, produced here once for both. Thread-safe.
 */
public final class EstimatorCatalogJson {
    private static final ObjectMapper INDENTED = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private EstimatorCatalogJson() {}

    /** The whole registry as an indented JSON array (no trailing line break). */
    public static String render(Collection<Estimator> estimators) {
        List<Map<String, Object>> json = new ArrayList<>();
        for (Estimator e : estimators) json.add(toJson(e.descriptor()));
        try {
            return INDENTED.writeValueAsString(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One estimator as a JSON object. */
    public static Map<String, Object> toJson(Descriptor d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", d.id());
        m.put("aliases", d.aliases());
        m.put("title", d.title());
        m.put("source", d.source());
        m.put("granularity", d.granularity().wireName());
        m.put("methodology", d.methodology().wireName());
        m.put("fidelity", d.fidelity().wireName());
        m.put("group_local", d.groupLocal());
        List<Map<String, Object>> req = new ArrayList<>();
        for (SignalRequirement r : d.requires()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("level", r.level().wireName());
            o.put("name", r.name());
            o.put("produced_by", r.producedBy());
            req.add(o);
        }
        m.put("requires", req);
        List<Map<String, Object>> params = new ArrayList<>();
        for (ParamSpec p : d.parameters()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("name", p.name());
            o.put("type", p.type().name().toLowerCase(Locale.ROOT));
            o.put("default", p.defaultValue());
            if (p.min() != null) o.put("min", p.min());
            if (p.max() != null) o.put("max", p.max());
            if (!p.choices().isEmpty()) o.put("choices", p.choices());
            o.put("doc", p.doc());
            params.add(o);
        }
        m.put("parameters", params);
        m.put("presets", d.presets());
        m.put("summary", d.summary());
        return m;
    }
}

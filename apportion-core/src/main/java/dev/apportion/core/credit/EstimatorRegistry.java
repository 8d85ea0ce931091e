package dev.apportion.core.credit;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Maps estimator ids and aliases to implementations found through {@link ServiceLoader}.
 * Ids are case-sensitive, as in verl; an id or alias claimed twice is an error. Every estimator
 * it hands out enforces its descriptor's requirements before it runs ({@link Requirements});
 * {@link Estimator#unwrap()} gives the implementation.
 */
public final class EstimatorRegistry {
    private static volatile EstimatorRegistry global;
    private final Map<String, Estimator> byId;
    private final Map<String, Estimator> byName;

    private EstimatorRegistry(Collection<Estimator> estimators) {
        Map<String, Estimator> ids = new TreeMap<>();
        Map<String, Estimator> names = new LinkedHashMap<>();
        for (Estimator raw : estimators) {
            Estimator e = RequirementChecked.wrap(raw);
            Descriptor d = e.descriptor();
            claim(names, d.id(), e);
            ids.put(d.id(), e);
            for (String a : d.aliases()) claim(names, a, e);
        }
        this.byId = Collections.unmodifiableMap(ids);
        this.byName = Collections.unmodifiableMap(names);
    }

    private static void claim(Map<String, Estimator> names, String name, Estimator e) {
        Estimator prev = names.put(name, e);
        if (prev != null && prev != e) {
            throw new IllegalStateException("estimator name '" + name + "' is claimed by both "
                    + prev.unwrap().getClass().getName() + " and "
                    + e.unwrap().getClass().getName());
        }
    }

    /** The registry of every estimator on the class path. */
    public static EstimatorRegistry global() {
        EstimatorRegistry r = global;
        if (r == null) {
            synchronized (EstimatorRegistry.class) {
                r = global;
                if (r == null) {
                    List<Estimator> all = new ArrayList<>();
                    for (EstimatorProvider p :
                            ServiceLoader.load(EstimatorProvider.class, EstimatorRegistry.class.getClassLoader())) {
                        all.addAll(p.estimators());
                    }
                    r = global = new EstimatorRegistry(all);
                }
            }
        }
        return r;
    }

    /** A registry of exactly these estimators (tests, embedding). */
    public static EstimatorRegistry of(Collection<Estimator> estimators) {
        return new EstimatorRegistry(estimators);
    }

    /** Every estimator, by id. */
    public Collection<Estimator> all() {
        return byId.values();
    }

    /** Every id, sorted. */
    public List<String> ids() {
        return List.copyOf(byId.keySet());
    }

    public boolean has(String name) {
        return byName.containsKey(name);
    }

    /**
     * The estimator with this id or alias.
     *
     * @throws IllegalArgumentException naming the unknown id, the closest known one and the list
     */
    public Estimator get(String name) {
        Estimator e = byName.get(name);
        if (e != null) return e;
        String close = null;
        int best = Integer.MAX_VALUE;
        for (String k : byName.keySet()) {
            int d = distance(name.toLowerCase(Locale.ROOT), k.toLowerCase(Locale.ROOT));
            if (d < best) {
                best = d;
                close = k;
            }
        }
        String hint = close != null && best <= Math.max(2, name.length() / 3) ? " (did you mean '" + close + "'?)" : "";
        throw new IllegalArgumentException(
                "unknown estimator '" + name + "'" + hint + "; known: " + String.join(", ", byId.keySet()));
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int c = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + c);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}

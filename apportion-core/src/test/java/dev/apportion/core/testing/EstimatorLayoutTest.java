package dev.apportion.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Granularity;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The layout rule of the estimators (CONTRIBUTING.md): a class lives in the package of the
 * granularity its descriptor declares, each package has one provider named after it that
 * registers exactly that package's classes, and every registered id has a contract test (a
 * class extending {@link EstimatorContract}).
 */
class EstimatorLayoutTest {
    static final String ROOT = "dev.apportion.core.estimator";

    /** The package (last segment) an estimator of this granularity lives in. */
    static String packageOf(Granularity g) {
        return g == Granularity.MULTI_AGENT ? "agent" : g.name().toLowerCase(Locale.ROOT);
    }

    /** The provider class name of a package segment: {@code turn} → {@code TurnEstimators}. */
    static String providerName(String segment) {
        return Character.toUpperCase(segment.charAt(0)) + segment.substring(1) + "Estimators";
    }

    @Test
    void everyEstimatorLivesInThePackageOfItsGranularity() {
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (Estimator e : EstimatorRegistry.global().all()) {
            String pkg = e.unwrap().getClass().getPackageName();
            if (!pkg.startsWith(ROOT + ".")) continue; // other modules' estimators (bench) follow their own layout
            checked++;
            String want = ROOT + "." + packageOf(e.descriptor().granularity());
            if (!pkg.equals(want))
                wrong.add(e.id() + " (" + e.unwrap().getClass().getSimpleName() + ") is in " + pkg
                        + ", its granularity " + e.descriptor().granularity() + " wants " + want);
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
        assertTrue(checked >= 50, "the registry's core estimators were checked (" + checked + ")");
    }

    @Test
    void eachPackageHasOneProviderRegisteringExactlyItsClasses() {
        Map<String, String> providerOfPackage = new TreeMap<>();
        List<String> wrong = new ArrayList<>();
        for (EstimatorProvider p : ServiceLoader.load(EstimatorProvider.class)) {
            String pkg = p.getClass().getPackageName();
            if (!pkg.startsWith(ROOT + ".")) continue;
            String segment = pkg.substring(ROOT.length() + 1);
            String prev = providerOfPackage.put(pkg, p.getClass().getSimpleName());
            if (prev != null)
                wrong.add(pkg + " has two providers: " + prev + " and "
                        + p.getClass().getSimpleName());
            if (!p.getClass().getSimpleName().equals(providerName(segment))) {
                wrong.add(p.getClass().getName() + " should be named " + providerName(segment));
            }
            for (Estimator e : p.estimators()) {
                if (!e.getClass().getPackageName().equals(pkg)) {
                    wrong.add(p.getClass().getName() + " registers "
                            + e.getClass().getName() + " from another package");
                }
            }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
        assertEquals(
                Set.of("trajectory", "token", "segment", "step", "turn", "agent"),
                new TreeSet<>(providerOfPackage.keySet().stream()
                        .map(k -> k.substring(ROOT.length() + 1))
                        .toList()),
                "one provider per granularity package");
    }

    @Test
    void everyRegisteredIdHasAContractTest() throws Exception {
        Set<String> covered = EstimatorContract.coveredIds(EstimatorContract.class);
        Set<String> missing = new TreeSet<>();
        for (Estimator e : EstimatorRegistry.global().all()) {
            if (e.unwrap().getClass().getPackageName().startsWith(ROOT + ".") && !covered.contains(e.id()))
                missing.add(e.id());
        }
        assertTrue(covered.size() >= 50, "contract tests found: " + covered.size());
        assertTrue(missing.isEmpty(), "registered ids without a test class extending EstimatorContract: " + missing);
    }
}

package dev.apportion.catalog;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** Paths of test resources. */
public final class TestFiles {
    private TestFiles() {}

    public static Path report(String name) {
        URL url = TestFiles.class.getResource("/dev/apportion/catalog/reports/" + name);
        if (url == null) throw new IllegalArgumentException("no test report " + name);
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}

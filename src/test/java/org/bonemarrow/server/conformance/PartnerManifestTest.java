package org.bonemarrow.server.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.bonemarrow.server.support.SampleBundles;
import org.junit.jupiter.api.Test;

/** Every fixture file of sample-bundles/partners/ has a row in its manifest, and every row a file. */
class PartnerManifestTest {

	private static final Path DIR = SampleBundles.DIR.resolve(PartnerFixtures.DIR);

	@Test
	void manifestListsEveryFixtureAndNothingElse() throws IOException {
		Set<String> inManifest = new TreeSet<>();
		new ObjectMapper().readTree(DIR.resolve("manifest.json").toFile()).forEach(n -> inManifest.add(n.get("file").asText()));
		Set<String> onDisk = new TreeSet<>();
		try (Stream<Path> s = Files.walk(DIR)) {
			s.filter(p -> p.toString().endsWith(".json") && !p.getFileName().toString().equals("manifest.json"))
					.forEach(p -> onDisk.add(DIR.relativize(p).toString().replace('\\', '/')));
		}
		assertThat(inManifest).isEqualTo(onDisk);
		assertThat(onDisk).filteredOn(f -> f.startsWith("invalid/")).allSatisfy(f -> assertThat(f).endsWith(".invalid.json"));
	}
}

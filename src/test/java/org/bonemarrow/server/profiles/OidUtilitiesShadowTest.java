package org.bonemarrow.server.profiles;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.Field;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.utilities.OIDUtilities;
import org.junit.jupiter.api.Test;

/**
 * Our performance shadow of the validator library's OIDUtilities (src/main/java/org/hl7/fhir/utilities):
 * it must be the class actually loaded, answer exactly as the original's registry says, parse the registry
 * once, and be re-checked whenever the library changes version.
 */
class OidUtilitiesShadowTest {

	/** The library version the shadow was copied from; a HAPI upgrade that changes it must re-check the copy. */
	private static final String COPIED_FROM = "org.hl7.fhir.utilities-6.7.9.jar";

	@Test
	void theShadowIsTheClassLoaded_notTheLibrarysCopy() {
		URL source = OIDUtilities.class.getProtectionDomain().getCodeSource().getLocation();
		assertThat(source.toString()).doesNotContain("org.hl7.fhir.utilities-");
	}

	@Test
	void theLibraryIsStillTheVersionTheShadowWasCopiedFrom() {
		URL registry = OIDUtilities.class.getClassLoader().getResource("oidregistry.csv");
		assertThat(registry).isNotNull();
		assertThat(registry.toString())
				.as("org.hl7.fhir.utilities changed version: compare OIDUtilities with the new original, then update COPIED_FROM")
				.contains(COPIED_FROM);
	}

	@Test
	void knownOidsAreExactlyTheRegistryRowsWithACodeSystemColumn() throws Exception {
		List<String> known = new ArrayList<>();
		List<String> unknown = new ArrayList<>();
		try (BufferedReader r = new BufferedReader(new InputStreamReader(
				OIDUtilities.class.getClassLoader().getResourceAsStream("oidregistry.csv"), StandardCharsets.UTF_8))) {
			r.readLine();
			for (String line = r.readLine(); line != null; line = r.readLine()) {
				String[] parts = line.split(",");
				(parts.length >= 4 ? known : unknown).add("urn:oid:" + parts[0].trim());
			}
		}
		OIDUtilities oids = new OIDUtilities();
		assertThat(known).isNotEmpty().allMatch(oids::isKnownOID);
		assertThat(unknown.stream().filter(u -> !known.contains(u))).noneMatch(oids::isKnownOID);
		assertThat(oids.isKnownOID("http://loinc.org")).isFalse();
		assertThat(oids.isKnownOID(null)).isFalse();
		assertThat(OIDUtilities.getUriForOid("2.16.840.1.113883.6.96")).isEqualTo("http://snomed.info/sct");
		assertThat(OIDUtilities.isValidOID("2.16.840.1.113883.6.1")).isTrue();
		assertThat(OIDUtilities.oidTail("1.2.3")).isEqualTo("3");
		assertThat(OIDUtilities.oidRoot("1.2.3")).isEqualTo("1");
	}

	@Test
	void everyInstanceSharesOneParsedRegistry() throws Exception {
		Field map = OIDUtilities.class.getDeclaredField("oidMap");
		map.setAccessible(true);
		assertThat(map.get(new OIDUtilities())).isSameAs(map.get(new OIDUtilities()));
	}
}

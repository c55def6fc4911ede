package org.bonemarrow.server.support;

import ca.uhn.fhir.context.FhirContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Resource;

/**
 * The committed bundles of {@code sample-bundles/}, made unique per call: every identifier under our
 * example systems (MRN, placer order number, practitioner) gets a suffix, in the resources and in the
 * {@code ifNoneExist} conditions alike, so a test can post a sample into the shared database as often as
 * it likes and still see only its own exam.
 */
public final class SampleBundles {

	public static final Path DIR = Path.of("sample-bundles");
	private static final String OUR_SYSTEMS = "https://bonemarrow-exam.example/fhir/sid/";
	private static final FhirContext CTX = FhirContext.forR4Cached();

	private SampleBundles() {}

	/** The file exactly as committed. */
	public static String raw(String file) {
		try {
			return Files.readString(DIR.resolve(file));
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	/** The sample with identifiers suffixed by {@code suffix}. */
	public static Bundle unique(String file, String suffix) {
		Bundle bundle = CTX.newJsonParser().parseResource(Bundle.class, raw(file));
		for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
			Resource resource = entry.getResource();
			if (resource != null) {
				CTX.newTerser().getAllPopulatedChildElementsOfType(resource, Identifier.class).stream()
						.filter(i -> i.hasSystem() && i.getSystem().startsWith(OUR_SYSTEMS))
						.forEach(i -> i.setValue(i.getValue() + "-" + suffix));
			}
			String condition = entry.getRequest().getIfNoneExist();
			if (condition != null && condition.contains(OUR_SYSTEMS)) {
				entry.getRequest().setIfNoneExist(condition.replaceAll("(\\|[^&]+)", "$1-" + suffix));
			}
		}
		return bundle;
	}

	/** The sample with a fresh random suffix. */
	public static Bundle unique(String file) {
		return unique(file, UUID.randomUUID().toString().substring(0, 8));
	}
}

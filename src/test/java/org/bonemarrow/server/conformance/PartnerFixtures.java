package org.bonemarrow.server.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.bonemarrow.server.support.SampleBundles;
import org.hl7.fhir.r4.model.Bundle;

/** The fixtures of {@code sample-bundles/partners/}, with their placeholders filled in. */
final class PartnerFixtures {

	static final String DIR = "partners/";
	/** {@code sample-bundles/attachments/bone-marrow-report.pdf}, a real one-page PDF. */
	static final byte[] PDF = read("attachments/bone-marrow-report.pdf");

	private PartnerFixtures() {}

	/**
	 * The fixture's text with {@code ${suffix}} (unique identifiers per run), {@code ${pdf}} (the PDF in base64)
	 * and {@code ${Type}} (ids the order fixture stored) replaced.
	 */
	static String body(String file, String suffix, Map<String, String> ids) {
		String body = SampleBundles.raw(DIR + file).replace("${suffix}", suffix)
				.replace("${pdf}", Base64.getEncoder().encodeToString(PDF));
		for (Map.Entry<String, String> id : ids.entrySet()) {
			body = body.replace("${" + id.getKey() + "}", id.getValue());
		}
		return body;
	}

	/** {@code Type -> Type/id} of the first entry of each type in a transaction-response. */
	static Map<String, String> firstIdPerType(Bundle response) {
		Map<String, String> out = new HashMap<>();
		for (Bundle.BundleEntryComponent e : response.getEntry()) {
			String id = e.getResponse().getLocation().replaceAll("/_history/.*$", "");
			out.putIfAbsent(id.substring(0, id.indexOf('/')), id);
		}
		return out;
	}

	private static byte[] read(String file) {
		try {
			return Files.readAllBytes(SampleBundles.DIR.resolve(file));
		} catch (IOException e) {
			throw new IllegalStateException(e);
		}
	}
}

package org.bonemarrow.server.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.restassured.response.Response;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.bonemarrow.server.support.SampleBundles;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bundle of {@code sample-bundles/manifest.json} posted to the running server: valid ones are
 * stored whole, invalid ones get 422 with the manifest's issue at the manifest's location, and nothing
 * of them is stored. The same manifest drives the offline test (profiles.SampleBundleConformanceTest), so
 * the server and the offline validator are held to one expectation.
 */
@FhirServerTest
class SampleManifestRestTest extends RestTestBase {

	static Stream<Arguments> manifest() throws IOException {
		JsonNode entries = new ObjectMapper().readTree(SampleBundles.DIR.resolve("manifest.json").toFile());
		List<Arguments> out = new ArrayList<>();
		entries.forEach(e -> out.add(Arguments.of(e.get("file").asText(), e)));
		return out.stream();
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("manifest")
	void postedAsTheManifestSays(String file, JsonNode expected) {
		String suffix = UUID.randomUUID().toString().substring(0, 8);
		Bundle bundle = SampleBundles.unique(file, suffix);
		Response r = fhir().body(json(bundle)).post("/");

		if ("valid".equals(expected.get("expect").asText())) {
			r.then().statusCode(200);
			Bundle response = bundle(r);
			assertThat(response.getEntry()).hasSize(bundle.getEntry().size())
					.allSatisfy(e -> assertThat(e.getResponse().getStatus()).matches("20[01].*"));
			assertStored(bundle, 1);
		} else {
			r.then().statusCode(422);
			OperationOutcome oo = outcome(r);
			assertThat(oo.getIssue()).as("issues of %s", file).anySatisfy(issue -> {
				assertThat(issue.getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
				assertThat(issue.getExpression()).extracting(StringType::getValue)
						.contains(expected.get("location").asText());
				assertThat(issue.getDiagnostics()).contains(expected.get("messageContains").asText());
			});
			assertStored(bundle, 0);
		}
	}

	/** Each identified resource of the bundle (patient, order, practitioners) is stored `count` times. */
	private void assertStored(Bundle bundle, int count) {
		for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
			Resource resource = e.getResource();
			for (Identifier id : CTX.newTerser().getValues(resource, "identifier", Identifier.class)) {
				if (id.hasSystem() && id.hasValue()) {
					assertThat(total("/" + resource.fhirType() + "?identifier=" + id.getSystem() + "|" + id.getValue()))
							.as("%s %s|%s", resource.fhirType(), id.getSystem(), id.getValue())
							.isEqualTo(count);
				}
			}
		}
	}
}

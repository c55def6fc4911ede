package org.bonemarrow.server.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The server stays a general FHIR R4 server: the specification's own examples of the exam resource types
 * (none claims our profiles or carries our exam codes) are stored as they would be anywhere. Their
 * references to resources this database does not hold are dropped first, because the server enforces
 * referential integrity, which is not what this test is about. Those examples are not exams, so the
 * workflow adapter leaves them alone as well.
 */
@FhirServerTest
class R4ExamplesStillAcceptedTest extends RestTestBase {

	static Stream<String> examples() throws IOException {
		try (Stream<Path> files = Files.list(Path.of("src/test/resources/r4-examples"))) {
			return files.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".json")).sorted().toList().stream();
		}
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("examples")
	void officialExampleIsStored(String file) throws IOException {
		Resource example = (Resource) CTX.newJsonParser()
				.parseResource(Files.readString(Path.of("src/test/resources/r4-examples", file)));
		example.setId((String) null);
		CTX.newTerser().getAllPopulatedChildElementsOfType(example, Reference.class).stream()
				.filter(r -> r.hasReference() && !r.getReference().startsWith("#"))
				.forEach(r -> r.setReference(null));
		// instantiatesCanonical is checked like a reference too (PlanDefinition/...).
		if (example instanceof org.hl7.fhir.r4.model.Procedure p) {
			p.getInstantiatesCanonical().clear();
		} else if (example instanceof org.hl7.fhir.r4.model.ServiceRequest s) {
			s.getInstantiatesCanonical().clear();
		}

		Response r = fhir().body(json(example)).post("/" + example.fhirType());
		assertThat(r.statusCode()).as("%s: %s", file, r.asString()).isEqualTo(201);
	}
}

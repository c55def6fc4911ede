package org.bonemarrow.server.foundation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bonemarrow.server.support.Fixtures.*;

import io.restassured.response.Response;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** create, read, update, vread and history for each exam resource type. */
@FhirServerTest
class CrudAndHistoryTest extends RestTestBase {

	private String patientRef;
	private String orderRef;
	private static String specimenRef;

	@BeforeEach
	void patientOrderAndSpecimen() {
		patientRef = create(patient(unique("mrn")));
		orderRef = create(order(unique("placer"), patientRef));
		specimenRef = create(aspirate(orderRef, patientRef));
	}

	static Stream<Arguments> examResources() {
		return Stream.of(
				Arguments.of("ServiceRequest", (BiFunction<String, String, Resource>) (o, p) -> order(unique("placer"), p)),
				Arguments.of("Procedure", (BiFunction<String, String, Resource>) (o, p) -> procedure(o, p)),
				Arguments.of("Specimen", (BiFunction<String, String, Resource>) (o, p) -> aspirate(o, p)),
				Arguments.of("DiagnosticReport", (BiFunction<String, String, Resource>) (o, p) ->
						report(o, p, DiagnosticReport.DiagnosticReportStatus.PRELIMINARY, specimenRef)));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("examResources")
	void createReadUpdateVreadHistory(String type, BiFunction<String, String, Resource> make) {
		Resource resource = make.apply(orderRef, patientRef);
		String id = create(resource);
		assertThat(id).startsWith(type + "/");

		Response read = fhir().get("/" + id);
		read.then().statusCode(200).header("ETag", "W/\"1\"");
		Resource v1 = (Resource) CTX.newJsonParser().parseResource(read.asString());
		assertThat(v1.getMeta().getVersionId()).isEqualTo("1");

		// update: add a note-like change every type has (meta.tag would be version-neutral in HAPI)
		v1.setId(id);
		v1.setMeta(null);
		v1.setLanguage("en");
		fhir().body(json(v1)).put("/" + id).then().statusCode(200).header("ETag", "W/\"2\"");

		Response current = fhir().get("/" + id);
		assertThat(current.jsonPath().getString("language")).isEqualTo("en");
		assertThat(current.jsonPath().getString("meta.versionId")).isEqualTo("2");

		Response vread = fhir().get("/" + id + "/_history/1");
		vread.then().statusCode(200);
		assertThat(vread.jsonPath().getString("language")).isNull();
		assertThat(vread.jsonPath().getString("meta.versionId")).isEqualTo("1");

		Bundle history = bundle(fhir().get("/" + id + "/_history"));
		assertThat(history.getType()).isEqualTo(Bundle.BundleType.HISTORY);
		assertThat(history.getEntry()).extracting(e -> e.getResource().getMeta().getVersionId())
				.containsExactly("2", "1");
	}
}

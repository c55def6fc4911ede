package org.bonemarrow.server.foundation;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.restassured.response.Response;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.junit.jupiter.api.Test;

/** What an integration engineer sees first: metadata, health, OpenAPI, formats. */
@FhirServerTest
class ServerSurfaceTest extends RestTestBase {

	@Test
	void metadataNamesThisServerAndItsVersion() {
		CapabilityStatement cs = parse(fhir().get("/metadata"), CapabilityStatement.class);
		assertThat(cs.getSoftware().getName()).isEqualTo("Bone Marrow Exam FHIR Server");
		assertThat(cs.getSoftware().getVersion()).matches("\\d+\\.\\d+\\.\\d+.*");
		assertThat(cs.getFhirVersion().toCode()).isEqualTo("4.0.1");
		assertThat(cs.getRestFirstRep().getResource()).extracting(r -> r.getType())
				.contains("ServiceRequest", "Procedure", "Specimen", "DiagnosticReport", "Observation", "Task");
	}

	@Test
	void healthAndReadinessAreUp() {
		given().basePath("").get("/actuator/health").then().statusCode(200).body("status", equalTo("UP"));
		given().basePath("").get("/actuator/health/readiness").then().statusCode(200).body("status", equalTo("UP"));
	}

	@Test
	void openApiDocumentAndSwaggerUiAreServed() {
		Response doc = given().get("/api-docs");
		doc.then().statusCode(200);
		assertThat(doc.asString()).contains("openapi: 3.0").contains("/ServiceRequest");
		given().get("/swagger-ui/").then().statusCode(200).body(containsString("swagger"));
	}

	@Test
	void formatAndPrettyParametersAreHonoured() {
		Response xml = given().get("/metadata?_format=xml");
		xml.then().statusCode(200).contentType(containsString("xml"));
		assertThat(xml.asString()).contains("<CapabilityStatement xmlns=\"http://hl7.org/fhir\">");

		String pretty = given().get("/metadata?_format=json&_pretty=true").asString();
		String compact = given().get("/metadata?_format=json&_pretty=false").asString();
		assertThat(pretty).contains("\n  \"resourceType\"");
		assertThat(compact).doesNotContain("\n");
	}
}

package org.bonemarrow.server.foundation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bonemarrow.server.support.Fixtures.*;

import io.restassured.response.Response;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.Test;

/** Optimistic locking (If-Match) and conditional create (If-None-Exist) on the order. */
@FhirServerTest
class ConditionalAndConcurrencyTest extends RestTestBase {

	@Test
	void staleIfMatchIsRefusedWith412AndChangesNothing() {
		String patient = create(patient(unique("mrn")));
		String order = create(order(unique("placer"), patient));

		ServiceRequest sr = parse(fhir().get("/" + order), ServiceRequest.class);
		sr.setPriority(ServiceRequest.ServiceRequestPriority.URGENT);
		fhir().header("If-Match", "W/\"1\"").body(json(sr)).put("/" + order).then().statusCode(200);

		sr.setPriority(ServiceRequest.ServiceRequestPriority.ROUTINE);
		Response stale = fhir().header("If-Match", "W/\"1\"").body(json(sr)).put("/" + order);
		stale.then().statusCode(412);
		assertThat(outcome(stale).getIssueFirstRep().getDiagnostics()).isNotBlank();

		ServiceRequest stored = parse(fhir().get("/" + order), ServiceRequest.class);
		assertThat(stored.getPriority()).isEqualTo(ServiceRequest.ServiceRequestPriority.URGENT);
		assertThat(stored.getMeta().getVersionId()).isEqualTo("2");
	}

	@Test
	void ifNoneExistOnThePlacerNumberCreatesNoDuplicate() {
		String patient = create(patient(unique("mrn")));
		String placer = unique("placer");
		String condition = "identifier=" + PLACER_SYSTEM + "|" + placer;

		Response first = fhir().header("If-None-Exist", condition).body(json(order(placer, patient))).post("/ServiceRequest");
		first.then().statusCode(201);
		Response second = fhir().header("If-None-Exist", condition).body(json(order(placer, patient))).post("/ServiceRequest");
		second.then().statusCode(200);

		assertThat(idFromLocation(second.header("Location"))).isEqualTo(idFromLocation(first.header("Location")));
		assertThat(total("/ServiceRequest?" + condition)).isEqualTo(1);
	}
}

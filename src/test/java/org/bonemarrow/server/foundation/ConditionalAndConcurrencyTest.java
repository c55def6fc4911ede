package org.bonemarrow.server.foundation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bonemarrow.server.support.Fixtures.*;

import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.hl7.fhir.r4.model.Bundle;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.Test;

/**
 * Optimistic locking (If-Match) and conditional create (If-None-Exist) on the order, also when an interface
 * engine sends the same conditional create several times at once: If-None-Exist promises the existing
 * resource, so the callers that lose the race get 200 and the winner's Location, never 409 (FHIR R4 http.html
 * "Conditional create").
 */
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

	@Test
	void concurrentConditionalCreatesOfOneOrderAllSucceedWithTheSameOrder() throws Exception {
		String patient = create(patient(unique("mrn")));
		String placer = unique("placer");
		String condition = "identifier=" + PLACER_SYSTEM + "|" + placer;
		String body = json(order(placer, patient));
		String token = token(org.bonemarrow.server.support.Tokens.TEST_ADMIN);

		List<Response> responses = race(8, () -> anonymous().auth().preemptive().oauth2(token)
				.header("If-None-Exist", condition).body(body).post("/ServiceRequest"));

		assertThat(responses).extracting(Response::statusCode).containsOnly(200, 201);
		assertThat(responses).filteredOn(r -> r.statusCode() == 201).hasSize(1);
		assertThat(responses).extracting(r -> idFromLocation(r.header("Location"))).containsOnly(
				idFromLocation(responses.stream().filter(r -> r.statusCode() == 201).findFirst().orElseThrow().header("Location")));
		assertThat(total("/ServiceRequest?" + condition)).isEqualTo(1);
		String order = idFromLocation(responses.get(0).header("Location"));
		// The workflow ran once: one Procedure and one Task for the one order.
		assertThat(total("/Procedure?based-on=" + order)).isEqualTo(1);
		assertThat(total("/Task?based-on=" + order)).isEqualTo(1);
	}

	@Test
	void concurrentTransactionsWithTheSameConditionalEntriesAllSucceed() throws Exception {
		String mrn = unique("mrn");
		String placer = unique("placer");
		// The order message of an interface engine: patient and order, each conditional on its identifier.
		Bundle order = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		String patientUrn = urn();
		add(order, patientUrn, patient(mrn), "identifier=" + MRN_SYSTEM + "|" + mrn);
		add(order, urn(), order(placer, patientUrn), "identifier=" + PLACER_SYSTEM + "|" + placer);
		String body = json(order);

		String token = token(org.bonemarrow.server.support.Tokens.TEST_ADMIN);
		List<Response> responses = race(6, () -> anonymous().auth().preemptive().oauth2(token).body(body).post("/"));

		assertThat(responses).extracting(Response::statusCode).containsOnly(200);
		List<String> orderLocations = new ArrayList<>();
		for (Response r : responses) {
			Bundle result = bundle(r);
			result.getEntry().forEach(e -> assertThat(e.getResponse().getStatus()).matches("20[01].*"));
			result.getEntry().stream().map(e -> e.getResponse().getLocation()).filter(l -> l.startsWith("ServiceRequest/"))
					.forEach(l -> orderLocations.add(idFromLocation(l)));
		}
		assertThat(orderLocations).hasSize(responses.size());
		assertThat(orderLocations).containsOnly(orderLocations.get(0));
		assertThat(total("/ServiceRequest?identifier=" + PLACER_SYSTEM + "|" + placer)).isEqualTo(1);
		assertThat(total("/Patient?identifier=" + MRN_SYSTEM + "|" + mrn)).isEqualTo(1);
	}

	/** Runs the same request from several threads released at once; every response, in no particular order. */
	private static List<Response> race(int callers, Callable<Response> request) throws Exception {
		ExecutorService pool = Executors.newFixedThreadPool(callers);
		try {
			CountDownLatch start = new CountDownLatch(1);
			List<Future<Response>> futures = new ArrayList<>();
			for (int i = 0; i < callers; i++) {
				futures.add(pool.submit(() -> {
					start.await();
					return request.call();
				}));
			}
			start.countDown();
			List<Response> responses = new ArrayList<>();
			for (Future<Response> f : futures) {
				responses.add(f.get(120, TimeUnit.SECONDS));
			}
			return responses;
		} finally {
			pool.shutdownNow();
		}
	}
}

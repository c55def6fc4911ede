package org.bonemarrow.server.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bonemarrow.server.support.Fixtures.patient;
import static org.bonemarrow.server.support.Fixtures.unique;

import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.OperationOutcomeIssueComponent;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * No silent data loss on write (issue 14): every way a client writes (create, update, conditional update,
 * transaction, batch), in JSON and XML, with content R4 does not define (a misspelt element, an R5
 * element, an unknown XML attribute, a JSON value of the wrong type, a repeat of a 0..1 element) is a 400
 * whose OperationOutcome names the element and its FHIRPath, and nothing is stored. Each row also sends the
 * same body without the problem, which must be stored: the refusal is for the problem, not the body.
 */
@FhirServerTest
class StrictRequestParsingRestTest extends RestTestBase {

	private static final String SYSTEM = "urn:bme-test:strict-parsing";

	enum Operation { CREATE, UPDATE, CONDITIONAL_UPDATE, TRANSACTION, BATCH }

	/**
	 * A problem as written in each format: inserted after status (the XML variant replaces the intent
	 * element where the problem is on it), and the FHIRPath the OperationOutcome must give, relative to the
	 * ServiceRequest.
	 */
	record Problem(String name, String element, String json, String xml, String xmlIntent, String path) {

		boolean appliesTo(boolean xmlFormat) {
			return xmlFormat ? xml != null || xmlIntent != null : json != null;
		}

		@Override
		public String toString() {
			return name;
		}
	}

	static final List<Problem> PROBLEMS = List.of(
			new Problem("misspelt element", "statusReasonX", "\"statusReasonX\":{\"text\":\"x\"},",
					"<statusReasonX><text value=\"x\"/></statusReasonX>", null, "statusReasonX"),
			new Problem("R5 element", "bodyStructure", "\"bodyStructure\":{\"reference\":\"BodyStructure/1\"},",
					"<bodyStructure><reference value=\"BodyStructure/1\"/></bodyStructure>", null, "bodyStructure"),
			new Problem("unknown XML attribute", "reason", null, null, "<intent value=\"order\" reason=\"x\"/>", "intent"),
			new Problem("wrong JSON type", "code", "\"code\":\"bone marrow aspirate\",", null, null, "code"),
			new Problem("repeated 0..1 element", "priority", "\"priority\":[\"routine\",\"urgent\"],",
					"<priority value=\"routine\"/><priority value=\"urgent\"/>", null, "priority"));

	static Stream<Arguments> table() {
		List<Arguments> rows = new ArrayList<>();
		for (Operation operation : Operation.values()) {
			for (boolean xml : new boolean[] {false, true}) {
				for (Problem problem : PROBLEMS) {
					if (problem.appliesTo(xml)) {
						rows.add(Arguments.of(operation, xml ? "xml" : "json", problem));
					}
				}
			}
		}
		return rows.stream();
	}

	private String patientRef;

	@BeforeEach
	void createPatient() {
		patientRef = create(patient(unique("mrn")));
	}

	@ParameterizedTest(name = "{0} {1} {2}")
	@MethodSource("table")
	void refusedNamingElementAndPlaceAndNothingIsStored(Operation operation, String format, Problem problem) {
		boolean xml = format.equals("xml");
		String refusedId = unique("refused");
		String existingId = operation == Operation.UPDATE ? existingOrder(unique("existing")) : null;
		// Entry 0 of a bundle is a valid Patient: it must not be stored either.
		String companionId = unique("companion");

		Response r = send(operation, xml, serviceRequest(xml, refusedId, existingId, problem), companionId, existingId, refusedId);

		assertThat(r.statusCode()).as(r.asString()).isEqualTo(400);
		OperationOutcome outcome = outcome(r);
		String expected = (operation == Operation.TRANSACTION || operation == Operation.BATCH
				? "Bundle.entry[1].resource." : "ServiceRequest.") + problem.path();
		assertThat(outcome.getIssue()).hasSize(1);
		OperationOutcomeIssueComponent issue = outcome.getIssueFirstRep();
		assertThat(issue.getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
		assertThat(issue.getCode()).isEqualTo(OperationOutcome.IssueType.STRUCTURE);
		assertThat(issue.getDiagnostics()).contains("'" + problem.element() + "'").contains(expected)
				.contains("Nothing was stored");
		assertThat(issue.getExpression()).extracting(Object::toString).containsExactly(expected);
		assertThat(issue.getLocation()).extracting(Object::toString).containsExactly(expected);

		assertThat(total("/ServiceRequest?identifier=" + SYSTEM + "|" + refusedId)).isZero();
		assertThat(total("/Patient?identifier=" + SYSTEM + "|" + companionId)).isZero();
		if (existingId != null) {
			ServiceRequest existing = parse(fhir().get("/" + existingId), ServiceRequest.class);
			assertThat(existing.getMeta().getVersionId()).isEqualTo("1");
		}

		// The control: the same request without the problem is stored.
		String storedId = unique("stored");
		String storedExisting = operation == Operation.UPDATE ? existingOrder(unique("existing")) : null;
		Response control = send(operation, xml, serviceRequest(xml, storedId, storedExisting, null), unique("companion"),
				storedExisting, storedId);
		assertThat(control.statusCode()).as(control.asString()).isIn(200, 201);
		assertThat(total("/ServiceRequest?identifier=" + SYSTEM + "|" + storedId)).isOne();
	}

	@Test
	void extensionsAndFhirCommentsAreAccepted() {
		String id = unique("extensions");
		String body = """
				{"resourceType":"ServiceRequest","fhir_comments":["R4 JSON allows comments here"],
				 "extension":[{"url":"https://example.org/StructureDefinition/any","valueString":"kept"}],
				 "identifier":[{"system":"%s","value":"%s"}],
				 "status":"active","_status":{"extension":[{"url":"https://example.org/StructureDefinition/e","valueCode":"c"}]},
				 "intent":"order","subject":{"reference":"%s"}}""".formatted(SYSTEM, id, patientRef);

		Response r = fhir().body(body).post("/ServiceRequest");

		r.then().statusCode(201);
		ServiceRequest stored = parse(fhir().get("/" + idFromLocation(r.header("Location"))), ServiceRequest.class);
		assertThat(stored.getExtension().get(0).getValue().primitiveValue()).isEqualTo("kept");
		assertThat(stored.getStatusElement().getExtension()).hasSize(1);
	}

	private Response send(Operation operation, boolean xml, String resource, String companionId, String existingId,
			String identifier) {
		String contentType = xml ? "application/fhir+xml" : FHIR_JSON;
		return switch (operation) {
			case CREATE -> fhir().contentType(contentType).body(resource).post("/ServiceRequest");
			case UPDATE -> fhir().contentType(contentType).body(resource).put("/" + existingId);
			case CONDITIONAL_UPDATE -> fhir().contentType(contentType).body(resource)
					.put("/ServiceRequest?identifier=" + SYSTEM + "|" + identifier);
			case TRANSACTION, BATCH -> fhir().contentType(contentType)
					.body(bundle(xml, operation == Operation.TRANSACTION ? "transaction" : "batch", resource, companionId))
					.post("/");
		};
	}

	private String existingOrder(String identifier) {
		return create(new ServiceRequest().addIdentifier(new org.hl7.fhir.r4.model.Identifier().setSystem(SYSTEM)
				.setValue(identifier)).setStatus(ServiceRequest.ServiceRequestStatus.ACTIVE)
				.setIntent(ServiceRequest.ServiceRequestIntent.ORDER).setSubject(new org.hl7.fhir.r4.model.Reference(patientRef)));
	}

	/** A ServiceRequest with the problem (or none) in it; with the existing order's id for an update. */
	private String serviceRequest(boolean xml, String identifier, String existingId, Problem problem) {
		String id = existingId == null ? null : existingId.substring(existingId.indexOf('/') + 1);
		if (xml) {
			String extra = problem == null || problem.xml() == null ? "" : problem.xml();
			String intent = problem == null || problem.xmlIntent() == null ? "<intent value=\"order\"/>" : problem.xmlIntent();
			return "<ServiceRequest xmlns=\"http://hl7.org/fhir\">" + (id == null ? "" : "<id value=\"" + id + "\"/>")
					+ "<identifier><system value=\"" + SYSTEM + "\"/><value value=\"" + identifier + "\"/></identifier>"
					+ "<status value=\"active\"/>" + extra + intent + "<subject><reference value=\"" + patientRef
					+ "\"/></subject></ServiceRequest>";
		}
		String extra = problem == null ? "" : problem.json();
		return "{\"resourceType\":\"ServiceRequest\"," + (id == null ? "" : "\"id\":\"" + id + "\",")
				+ "\"identifier\":[{\"system\":\"" + SYSTEM + "\",\"value\":\"" + identifier + "\"}],"
				+ "\"status\":\"active\"," + extra + "\"intent\":\"order\",\"subject\":{\"reference\":\"" + patientRef + "\"}}";
	}

	private static String bundle(boolean xml, String type, String serviceRequest, String companionId) {
		if (xml) {
			return "<Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"" + type + "\"/>"
					+ "<entry><resource><Patient><identifier><system value=\"" + SYSTEM + "\"/><value value=\""
					+ companionId + "\"/></identifier></Patient></resource>"
					+ "<request><method value=\"POST\"/><url value=\"Patient\"/></request></entry>"
					+ "<entry><resource>" + serviceRequest.replace(" xmlns=\"http://hl7.org/fhir\"", "") + "</resource>"
					+ "<request><method value=\"POST\"/><url value=\"ServiceRequest\"/></request></entry></Bundle>";
		}
		return "{\"resourceType\":\"Bundle\",\"type\":\"" + type + "\",\"entry\":["
				+ "{\"resource\":{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"" + SYSTEM + "\",\"value\":\""
				+ companionId + "\"}]},\"request\":{\"method\":\"POST\",\"url\":\"Patient\"}},"
				+ "{\"resource\":" + serviceRequest + ",\"request\":{\"method\":\"POST\",\"url\":\"ServiceRequest\"}}]}";
	}
}

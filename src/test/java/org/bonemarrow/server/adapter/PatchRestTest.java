package org.bonemarrow.server.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.util.List;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.DiagnosticReport.DiagnosticReportStatus;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Task;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PATCH (JSON Patch, FHIRPath Patch, XML Patch) over HTTP: under the update scope, validated and checked like
 * an update, stored only when it passes, and the exam workflow reacts as to a PUT.
 */
@FhirServerTest
class PatchRestTest extends AdapterRestTestBase {

	static final String JSON_PATCH = "application/json-patch+json";
	static final String XML_PATCH = "application/xml-patch+xml";

	private String patient;
	private String blasts;

	@BeforeEach
	void aFinding() {
		patient = create(Fixtures.patient(Fixtures.unique("MRN")));
		String order = create(Fixtures.order(Fixtures.unique("PO"), patient));
		String specimen = create(Fixtures.aspirate(order, patient));
		blasts = create(Fixtures.blastPercentage(order, patient, specimen, 12));
	}

	@Test
	void patch_underTheUpdateScope_isStored_withoutIt403_andAuditEventsNever() {
		Response ok = patch(fhirAs("lab"), JSON_PATCH, blasts, "[{\"op\":\"add\",\"path\":\"/note\",\"value\":[{\"text\":\"json\"}]}]");
		ok.then().statusCode(200);
		assertThat(version(blasts)).isEqualTo("2");

		String fhirPath = "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"operation\",\"part\":["
				+ "{\"name\":\"type\",\"valueCode\":\"add\"},{\"name\":\"path\",\"valueString\":\"Observation\"},"
				+ "{\"name\":\"name\",\"valueString\":\"note\"},{\"name\":\"value\",\"valueAnnotation\":{\"text\":\"fhirpath\"}}]}]}";
		patch(fhirAs("lab"), FHIR_JSON, blasts, fhirPath).then().statusCode(200);
		// XML Patch (RFC 5261) addresses the XML form, where element order counts: before specimen.
		String xml = "<diff><add sel=\"/*/*[local-name()='specimen']\" pos=\"before\">"
				+ "<note xmlns=\"http://hl7.org/fhir\"><text value=\"xml\"/></note></add></diff>";
		patch(fhirAs("lab"), XML_PATCH, blasts, xml).then().statusCode(200);
		assertThat(read(Observation.class, blasts).getNote()).extracting(n -> n.getText())
				.containsExactly("json", "fhirpath", "xml");

		Response refused = patch(fhirAs("integration"), JSON_PATCH, blasts, "[{\"op\":\"remove\",\"path\":\"/note\"}]");
		refused.then().statusCode(403);
		assertThat(outcome(refused).getIssueFirstRep().getDiagnostics()).contains("integration", "patch");
		assertThat(version(blasts)).isEqualTo("4");

		// No client writes the audit trail, whatever it names (refused before the id is looked up).
		patch(fhir(), JSON_PATCH, "AuditEvent/1", "[{\"op\":\"replace\",\"path\":\"/outcome\",\"value\":\"0\"}]")
				.then().statusCode(403);
	}

	@Test
	void patchThatBreaksTheProfile_is422_andNothingIsStored_whicheverPatchFormat() {
		Response json = patch(fhirAs("lab"), JSON_PATCH, blasts,
				"[{\"op\":\"replace\",\"path\":\"/valueQuantity/value\",\"value\":150}]");
		json.then().statusCode(422);
		assertThat(outcome(json).getIssueFirstRep().getDiagnostics()).contains("bme-blast-percentage");

		// FHIRPath Patch changes the stored resource in place: it must be checked as patched, not as read.
		String fhirPath = "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"operation\",\"part\":["
				+ "{\"name\":\"type\",\"valueCode\":\"replace\"},{\"name\":\"path\",\"valueString\":\"Observation.value.value\"},"
				+ "{\"name\":\"value\",\"valueDecimal\":150}]}]}";
		Response parameters = patch(fhirAs("lab"), FHIR_JSON, blasts, fhirPath);
		parameters.then().statusCode(422);
		assertThat(outcome(parameters).getIssueFirstRep().getDiagnostics()).contains("bme-blast-percentage");

		assertThat(version(blasts)).isEqualTo("1");
		assertThat(read(Observation.class, blasts).getValueQuantity().getValue().intValue()).isEqualTo(12);
	}

	@Test
	void malformedOrStaleOrCrossPatientPatch_isRefused_andNothingIsStored() {
		Response badJson = patch(fhirAs("lab"), JSON_PATCH, blasts, "[{\"op\":\"add\",\"path\":");
		badJson.then().statusCode(400);
		patch(fhirAs("lab"), JSON_PATCH, blasts, "[{\"op\":\"replace\",\"path\":\"/no/such/path\",\"value\":1}]")
				.then().statusCode(400);
		patch(fhirAs("lab"), JSON_PATCH, blasts, "[{\"op\":\"test\",\"path\":\"/status\",\"value\":\"cancelled\"},"
				+ "{\"op\":\"add\",\"path\":\"/note\",\"value\":[{\"text\":\"x\"}]}]").then().statusCode(400);

		// If-Match names a version that is no longer current: 412 (FHIR http.html#concurrency).
		patch(fhirAs("lab"), JSON_PATCH, blasts, "[{\"op\":\"add\",\"path\":\"/note\",\"value\":[{\"text\":\"1\"}]}]")
				.then().statusCode(200);
		patch(fhirAs("lab").header("If-Match", "W/\"1\""), JSON_PATCH, blasts,
				"[{\"op\":\"add\",\"path\":\"/note\",\"value\":[{\"text\":\"stale\"}]}]").then().statusCode(412);

		// The same-patient check holds for a patch as for a PUT.
		String other = create(Fixtures.patient(Fixtures.unique("MRN")));
		Response moved = patch(fhirAs("lab"), JSON_PATCH, blasts,
				"[{\"op\":\"replace\",\"path\":\"/subject/reference\",\"value\":\"" + other + "\"}]");
		moved.then().statusCode(422);

		assertThat(version(blasts)).isEqualTo("2");
		assertThat(read(Observation.class, blasts).getSubject().getReference()).isEqualTo(patient);
	}

	@Test
	void patchingTheReportToFinal_completesTheOrdersTask_likeAPut() {
		ExamFlow flow = orderPlaced(ExamWorkflowStepsTest.SAMPLE);
		Procedure done = flow.sampleProcedure();
		done.setReport(List.of());
		done.setId(procedures(flow.orderId()).get(0).getIdElement().toUnqualifiedVersionless());
		flow.adoptProcedure(done.getIdElement().getValue());
		put(done).then().statusCode(200);
		post(flow, flow.transactionOf(List.of("Procedure", "Specimen")));
		post(flow, flow.reportTransaction(DiagnosticReportStatus.PRELIMINARY));
		String report = flow.idOf("DiagnosticReport");
		assertThat(tasks(flow.orderId()).get(0).getStatus()).isEqualTo(Task.TaskStatus.INPROGRESS);

		patch(fhirAs("lab"), JSON_PATCH, report, "[{\"op\":\"replace\",\"path\":\"/status\",\"value\":\"final\"}]")
				.then().statusCode(200);

		assertThat(read(DiagnosticReport.class, report).getStatus()).isEqualTo(DiagnosticReportStatus.FINAL);
		Task task = tasks(flow.orderId()).get(0);
		assertThat(task.getStatus()).isEqualTo(Task.TaskStatus.COMPLETED);
		assertThat(task.getOutput()).extracting(o -> ((Reference) o.getValue()).getReference()).contains(report);
		assertThat(read(ServiceRequest.class, flow.orderId()).getStatus())
				.isEqualTo(ServiceRequest.ServiceRequestStatus.COMPLETED);
	}

	private Response patch(RequestSpecification as, String contentType, String id, String body) {
		return as.contentType(contentType).body(body).patch("/" + id);
	}

	private String version(String id) {
		return read(Observation.class, id).getMeta().getVersionId();
	}
}

package org.bonemarrow.server.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.restassured.response.Response;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.bonemarrow.server.support.SampleBundles;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.Binary;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Task;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code sample-bundles/partners/manifest.json}: orders and results shaped the way deployed systems send them
 * (US Core clients, laboratories following the HL7 Europe Laboratory Report IG), each posted by the client
 * role that would send it, with its expected outcome: the status, the warnings about claimed profiles not held
 * here, what the workflow made of it (Task requester/owner/encounter, Procedure encounter, order status), the
 * PDF report byte for byte, and what {@code $exam-summary} returns. A fixture with {@code after} is posted once
 * its order fixture is stored; {@code ${Type}} in it stands for the id of the first resource of that type the
 * order stored, {@code ${pdf}} for the base64 of {@code attachments/bone-marrow-report.pdf}.
 */
@FhirServerTest
class PartnerFixturesRestTest extends RestTestBase {

	private static final String DIR = PartnerFixtures.DIR;
	private static final byte[] PDF = PartnerFixtures.PDF;

	static Stream<Arguments> manifest() throws IOException {
		JsonNode entries = new ObjectMapper().readTree(SampleBundles.DIR.resolve(DIR + "manifest.json").toFile());
		List<Arguments> out = new ArrayList<>();
		entries.forEach(e -> out.add(Arguments.of(e.has("name") ? e.get("name").asText() : e.get("file").asText(), e)));
		return out.stream();
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("manifest")
	void postedByItsRole_asTheManifestSays(String name, JsonNode fixture) {
		String suffix = UUID.randomUUID().toString().substring(0, 8);
		Map<String, String> ids = new HashMap<>();
		if (fixture.has("after")) {
			Response order = post("ehr", fixture.get("after").asText(), suffix, ids);
			order.then().statusCode(200);
			ids.putAll(PartnerFixtures.firstIdPerType(bundle(order)));
		}
		JsonNode expect = fixture.get("expect");

		Response r = post(fixture.get("role").asText(), fixture.get("file").asText(), suffix, ids);

		r.then().statusCode(expect.get("status").asInt());
		if (expect.get("status").asInt() != 200) {
			OperationOutcome oo = outcome(r);
			if (expect.has("messageContains")) {
				assertThat(oo.getIssue()).as(json(oo)).anySatisfy(issue -> {
					assertThat(issue.getSeverity()).isIn(OperationOutcome.IssueSeverity.ERROR, OperationOutcome.IssueSeverity.FATAL);
					if (expect.has("location")) {
						assertThat(issue.getExpression()).extracting(StringType::getValue).contains(expect.get("location").asText());
					}
					assertThat(issue.getDiagnostics()).containsIgnoringCase(expect.get("messageContains").asText());
				});
			}
			assertNothingStoredFor(fixture, suffix);
			return;
		}
		Bundle response = bundle(r);
		assertThat(response.getEntry()).allSatisfy(e -> assertThat(e.getResponse().getStatus()).matches("20[01].*"));
		ids.putAll(PartnerFixtures.firstIdPerType(response));
		expect.path("warnings").forEach(w -> assertThat(warnings(response)).as("warnings")
				.anySatisfy(d -> assertThat(d).contains(w.asText(), "not held")));
		List<String> expected = new ArrayList<>();
		expect.path("warnings").forEach(w -> expected.add(w.asText()));
		assertThat(warnings(response)).as("only the expected warnings")
				.allSatisfy(d -> assertThat(expected).anySatisfy(w -> assertThat(d).contains(w)));

		String order = ids.get("ServiceRequest");
		if (expect.has("task")) {
			Task task = parse(fhir().get("/Task?focus=" + order), Bundle.class).getEntry().stream()
					.map(e -> (Task) e.getResource()).findFirst().orElseThrow();
			JsonNode t = expect.get("task");
			if (t.has("requester")) {
				assertThat(task.getRequester().getReference()).isEqualTo(ids.get("PractitionerRole"));
			}
			if (t.has("owner")) {
				assertThat(task.getOwner().getReference()).startsWith(t.get("owner").asText() + "/");
			}
			if (t.has("encounter")) {
				assertThat(task.getEncounter().getReference()).isEqualTo(ids.get("Encounter"));
			}
			assertThat(task.getStatus().toCode()).isEqualTo(t.get("status").asText());
		}
		if (expect.has("procedure")) {
			Procedure procedure = (Procedure) bundle(fhir().get("/Procedure?based-on=" + order)).getEntryFirstRep().getResource();
			assertThat(procedure.getEncounter().getReference()).isEqualTo(ids.get("Encounter"));
			assertThat(procedure.getStatus().toCode()).isEqualTo(expect.get("procedure").get("status").asText());
		}
		if (expect.has("orderStatus")) {
			assertThat(parse(fhir().get("/" + order), ServiceRequest.class).getStatus().toCode())
					.isEqualTo(expect.get("orderStatus").asText());
		}
		Bundle summary = bundle(fhirAs(fixture.get("role").asText()).get("/" + order + "/$exam-summary").then().statusCode(200).extract().response());
		List<String> summaryTypes = summary.getEntry().stream().map(e -> e.getResource().fhirType()).toList();
		expect.path("summaryIncludes").forEach(type -> assertThat(summaryTypes).contains(type.asText()));
		if (expect.has("presentedForm")) {
			DiagnosticReport report = summary.getEntry().stream().map(Bundle.BundleEntryComponent::getResource)
					.filter(DiagnosticReport.class::isInstance).map(DiagnosticReport.class::cast).findFirst().orElseThrow();
			assertThat(pdfOf(report.getPresentedFormFirstRep(), summary)).as("the PDF, byte for byte").isEqualTo(PDF);
		}
	}

	/** The PDF of an Attachment: inline data, or the Binary its url names (which the summary carries). */
	private byte[] pdfOf(Attachment form, Bundle summary) {
		assertThat(form.getContentType()).isEqualTo("application/pdf");
		if (form.hasData()) {
			return form.getData();
		}
		assertThat(form.getUrl()).startsWith("Binary/");
		Binary binary = summary.getEntry().stream().map(Bundle.BundleEntryComponent::getResource)
				.filter(Binary.class::isInstance).map(Binary.class::cast)
				.filter(b -> form.getUrl().equals(b.getIdElement().toUnqualifiedVersionless().getValue()))
				.findFirst().orElseThrow();
		assertThat(binary.getContentType()).isEqualTo("application/pdf");
		return binary.getData();
	}

	private Response post(String role, String file, String suffix, Map<String, String> ids) {
		return fhirAs(role).body(PartnerFixtures.body(file, suffix, ids)).post("/");
	}

	/** Nothing of the refused fixture was stored (what it identifies carries this run's unique suffix). */
	private void assertNothingStoredFor(JsonNode fixture, String suffix) {
		// Read leniently: a refused fixture may hold a value no strict parser takes (that is its defect).
		Bundle posted = CTX.newJsonParser()
				.setParserErrorHandler(new ca.uhn.fhir.parser.LenientErrorHandler(false).setErrorOnInvalidValue(false))
				.parseResource(Bundle.class, SampleBundles.raw(DIR + fixture.get("file").asText()));
		for (Bundle.BundleEntryComponent e : posted.getEntry()) {
			Resource resource = e.getResource();
			CTX.newTerser().getValues(resource, "identifier", org.hl7.fhir.r4.model.Identifier.class).forEach(id ->
					assertThat(total("/" + resource.fhirType() + "?identifier=" + id.getSystem() + "|" + id.getValue().replace("${suffix}", suffix)))
							.as("%s %s stored", resource.fhirType(), id.getValue()).isZero());
		}
	}

	private static List<String> warnings(Bundle response) {
		List<String> out = new ArrayList<>();
		for (Bundle.BundleEntryComponent e : response.getEntry()) {
			if (e.getResponse().getOutcome() instanceof OperationOutcome oo) {
				oo.getIssue().stream().filter(i -> i.getSeverity() == OperationOutcome.IssueSeverity.WARNING)
						.forEach(i -> out.add(i.getDiagnostics()));
			}
		}
		return out;
	}
}

package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Immunization;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.Test;

/**
 * Whole patient records as Synthea 3.3.0 writes them (src/test/resources/synthea/README.md): the hospital
 * and practitioner batches and one patient's transaction of 1,213 entries, loaded by the loader role with
 * its own bundle limit, every entry stored as sent and the exam workflow left alone. The same record from
 * the EHR is refused whole with nothing stored, and the loader neither reads nor changes exam orders and
 * Tasks, registers no result feed and does not reach the audit trail.
 */
@FhirServerTest
class SyntheaLoadRestTest extends RestTestBase {

	private static final String LOADER = "loader";
	private static final String SYNTHEA_ID = "https://github.com/synthetichealth/synthea";

	@Test
	void theLoaderStoresAWholeSyntheaRecord_everyEntryAsSent_andTheExamWorkflowStillRuns() {
		// Organizations, Locations and Practitioners first: the patient's record points at them with
		// conditional references (Practitioner?identifier=...), which must resolve to exactly one resource.
		Map<String, Integer> hospital = loadAndCountStored(resource("hospital-information.json.gz"), Bundle.BundleType.BATCHRESPONSE);
		Map<String, Integer> practitioners = loadAndCountStored(resource("practitioner-information.json.gz"), Bundle.BundleType.BATCHRESPONSE);
		assertThat(hospital).isEqualTo(Map.of("Organization", 4, "Location", 5));
		assertThat(practitioners).isEqualTo(Map.of("Practitioner", 4, "PractitionerRole", 4));

		String record = resource("patient-record.json.gz");
		Bundle sent = CTX.newJsonParser().parseResource(Bundle.class, record);
		assertThat(sent.getEntry()).as("over the general limit of 1000, so the loader's own limit is what lets it in")
				.hasSizeGreaterThan(1000);
		String syntheaPatient = identifierOf(sent);
		assertThat(syntheaPatient).endsWith("|0c63eedf-ff11-c088-99fd-c00ad3c451ed");
		assertThat(total("/Patient?identifier=" + syntheaPatient)).isZero();

		Response r = fhirAs(LOADER).body(record).post("");
		assertThat(r.statusCode()).as(r.asString()).isEqualTo(200);
		Bundle answer = bundle(r);
		assertThat(answer.getType()).isEqualTo(Bundle.BundleType.TRANSACTIONRESPONSE);
		assertThat(answer.getEntry()).hasSameSizeAs(sent.getEntry());
		Map<String, List<String>> idsByType = new TreeMap<>();
		for (Bundle.BundleEntryComponent entry : answer.getEntry()) {
			assertThat(entry.getResponse().getStatus()).startsWith("201");
			String id = idFromLocation("/fhir/" + entry.getResponse().getLocation());
			idsByType.computeIfAbsent(id.split("/")[0], t -> new ArrayList<>()).add(id.split("/")[1]);
		}
		Map<String, Integer> sentByType = countByType(sent);
		Map<String, Integer> answeredByType = new TreeMap<>();
		idsByType.forEach((type, ids) -> answeredByType.put(type, ids.size()));
		assertThat(answeredByType).isEqualTo(sentByType);

		// Really stored: each type's ids found by search, and the patient's own resources by patient.
		idsByType.forEach((type, ids) -> assertThat(storedCount(type, ids)).as(type).isEqualTo(ids.size()));
		String patient = "Patient/" + idsByType.get("Patient").get(0);
		assertThat(total("/Patient?identifier=" + syntheaPatient)).isEqualTo(1);
		assertThat(total("/Observation?subject=" + patient)).isEqualTo(sentByType.get("Observation"));
		assertThat(total("/Encounter?subject=" + patient)).isEqualTo(sentByType.get("Encounter"));
		assertThat(total("/Claim?patient=" + patient)).isEqualTo(sentByType.get("Claim"));
		assertThat(total("/ExplanationOfBenefit?patient=" + patient)).isEqualTo(sentByType.get("ExplanationOfBenefit"));
		assertThat(total("/DiagnosticReport?subject=" + patient)).isEqualTo(sentByType.get("DiagnosticReport"));
		// Conditional references were resolved to the practitioners loaded above, not left as searches.
		Encounter encounter = parse(fhir().get("/Encounter/" + idsByType.get("Encounter").get(0)), Encounter.class);
		assertThat(encounter.getParticipantFirstRep().getIndividual().getReference()).startsWith("Practitioner/")
				.doesNotContain("?");

		// The exam workflow made nothing of a history: the record's Procedures only, no Task, no order.
		assertThat(total("/Procedure?subject=" + patient)).isEqualTo(sentByType.get("Procedure"));
		assertThat(total("/Task?subject=" + patient)).isZero();
		assertThat(total("/ServiceRequest?subject=" + patient)).isZero();

		// ... and still runs for the loaded patient: an exam order from the EHR gets its Procedure and Task.
		Response order = fhirAs("ehr").body(json(Fixtures.order(Fixtures.unique("PO"), patient))).post("/ServiceRequest");
		order.then().statusCode(201);
		String orderId = idFromLocation(order.header("Location"));
		assertThat(total("/Procedure?based-on=" + orderId)).isEqualTo(1);
		assertThat(total("/Task?focus=" + orderId)).isEqualTo(1);
		assertThat(total("/Procedure?subject=" + patient)).isEqualTo(sentByType.get("Procedure") + 1);
	}

	@Test
	void theEhrIsRefusedTheWholeRecord_413NamingItsLimit_andNothingIsStored() {
		Bundle record = recordWithUniquePatient();
		String identifier = identifierOf(record);

		Response r = fhirAs("ehr").body(json(record)).post("");
		r.then().statusCode(413);
		OperationOutcome outcome = outcome(r);
		assertThat(outcome.getIssueFirstRep().getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
		assertThat(outcome.getIssueFirstRep().getDiagnostics())
				.contains("1213 entries", "the limit is 1000", "(bonemarrow.security.limits.max-bundle-entries)",
						"bonemarrow.security.limits.clients");
		assertThat(total("/Patient?identifier=" + identifier)).isZero();
	}

	@Test
	void theEhrMayNotWriteImmunizations_evenInASmallBundle() {
		Bundle record = recordWithUniquePatient();
		String identifier = identifierOf(record);
		Bundle small = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		small.addEntry(record.getEntry().get(0));
		// The ehr writes what an order carries (Encounter, Condition, ...) but not a vaccination history.
		Bundle.BundleEntryComponent immunization = record.getEntry().stream()
				.filter(e -> e.getResource() instanceof Immunization).findFirst().orElseThrow();
		Immunization patientOnly = (Immunization) immunization.getResource();
		// Only the patient reference kept: the refusal must be about the Immunization itself.
		patientOnly.setEncounter(null).setLocation(null).getPerformer().clear();
		small.addEntry(immunization);

		Response r = fhirAs("ehr").body(json(small)).post("");
		r.then().statusCode(403);
		assertThat(outcome(r).getIssueFirstRep().getDiagnostics()).contains("Access denied");
		assertThat(total("/Patient?identifier=" + identifier)).isZero();

		// The same two entries are the loader's to write.
		fhirAs(LOADER).body(json(small)).post("").then().statusCode(200);
		assertThat(total("/Patient?identifier=" + identifier)).isEqualTo(1);
	}

	@Test
	void theLoadersOwnLimitsAreNamedWhenExceeded_andTheGeneralOnesStillBindTheOthers() {
		Bundle tooMany = new Bundle().setType(Bundle.BundleType.BATCH);
		String family = Fixtures.unique("Loadlimit");
		String padding = "x".repeat(500);
		for (int i = 0; i <= 10_000; i++) {
			Patient p = new Patient();
			p.addName().setFamily(family).addGiven(padding);
			tooMany.addEntry().setResource(p).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Patient");
		}
		String body = json(tooMany);
		assertThat(body.length()).as("over the general 5 MB, under the loader's 32 MB").isBetween(5_300_000, 30_000_000);

		// The loader's 32 MB let the body in; its 10,000 entries are what refuse it.
		Response r = fhirAs(LOADER).body(body).post("");
		r.then().statusCode(413);
		assertThat(outcome(r).getIssueFirstRep().getDiagnostics())
				.contains("10001 entries", "the limit is 10000", "(bonemarrow.security.limits.clients.loader.max-bundle-entries)");
		// Anyone else is held to the general 5 MB. Sent gzip-compressed: an uncompressed body refused by its
		// Content-Length is not read, and Tomcat may close the connection while the client still writes it.
		Response ehr = fhirAs("ehr").header("Content-Encoding", "gzip")
				.body(gzip(body.getBytes(StandardCharsets.UTF_8))).post("");
		ehr.then().statusCode(413);
		assertThat(outcome(ehr).getIssueFirstRep().getDiagnostics())
				.contains("inflates to more than the limit of 5242880 bytes", "(bonemarrow.security.limits.max-request-size)");
		assertThat(total("/Patient?family=" + family)).isZero();

		// Past the loader's own size (sent small, gzip-compressed; the limit is on the inflated body).
		Response huge = fhirAs(LOADER).header("Content-Encoding", "gzip")
				.body(gzip(body.repeat(6).getBytes(StandardCharsets.UTF_8))).post("");
		huge.then().statusCode(413);
		assertThat(outcome(huge).getIssueFirstRep().getDiagnostics())
				.contains("inflates to more than the limit of 33554432 bytes",
						"(bonemarrow.security.limits.clients.loader.max-request-size)");
	}

	@Test
	void theLoaderReachesNeitherTheExamWorkflowNorResultFeedsNorTheAuditTrail() {
		String patient = create(Fixtures.patient(Fixtures.unique("MRN")));
		String order = create(Fixtures.order(Fixtures.unique("PO"), patient));
		// ServiceRequest.c only (Synthea's claims contain their referral): orders are neither read nor changed.
		forbidden(fhirAs(LOADER).get("/" + order));
		forbidden(fhirAs(LOADER).get("/ServiceRequest?subject=" + patient));
		org.hl7.fhir.r4.model.ServiceRequest cancelled = parse(fhir().get("/" + order), org.hl7.fhir.r4.model.ServiceRequest.class)
				.setStatus(org.hl7.fhir.r4.model.ServiceRequest.ServiceRequestStatus.REVOKED);
		forbidden(fhirAs(LOADER).body(json(cancelled)).put("/" + order));
		org.hl7.fhir.r4.model.Task existing = parse(fhir().get("/Task?focus=" + order), Bundle.class).getEntry().stream()
				.map(e -> (org.hl7.fhir.r4.model.Task) e.getResource()).findFirst().orElseThrow();
		forbidden(fhirAs(LOADER).get("/Task/" + existing.getIdPart()));
		existing.setStatus(org.hl7.fhir.r4.model.Task.TaskStatus.CANCELLED);
		forbidden(fhirAs(LOADER).body(json(existing)).put("/Task/" + existing.getIdPart()));
		org.hl7.fhir.r4.model.Task task = new org.hl7.fhir.r4.model.Task();
		task.setStatus(org.hl7.fhir.r4.model.Task.TaskStatus.REQUESTED)
				.setIntent(org.hl7.fhir.r4.model.Task.TaskIntent.ORDER).setFor(new Reference(patient));
		forbidden(fhirAs(LOADER).body(json(task)).post("/Task"));
		org.hl7.fhir.r4.model.Subscription feed = new org.hl7.fhir.r4.model.Subscription();
		feed.setStatus(org.hl7.fhir.r4.model.Subscription.SubscriptionStatus.REQUESTED)
				.setReason("copy every result elsewhere").setCriteria("Observation?");
		feed.getChannel().setType(org.hl7.fhir.r4.model.Subscription.SubscriptionChannelType.RESTHOOK)
				.setEndpoint("https://elsewhere.example/hook").setPayload(FHIR_JSON);
		forbidden(fhirAs(LOADER).body(json(feed)).post("/Subscription"));
		forbidden(fhirAs(LOADER).get("/AuditEvent"));
		forbidden(fhirAs(LOADER).get("/ConceptMap"));
		assertThat(total("/ServiceRequest?subject=" + patient + "&status=active")).isEqualTo(1);
		assertThat(total("/Task?subject=" + patient)).isEqualTo(1);
		assertThat(total("/Task?subject=" + patient + "&status=cancelled")).isZero();
	}

	/** Loads a Synthea batch as the loader and counts what the answer says was stored, by type. */
	private Map<String, Integer> loadAndCountStored(String batch, Bundle.BundleType expected) {
		Response r = fhirAs(LOADER).body(batch).post("");
		r.then().statusCode(200);
		Bundle answer = bundle(r);
		assertThat(answer.getType()).isEqualTo(expected);
		Map<String, Integer> stored = new TreeMap<>();
		for (Bundle.BundleEntryComponent entry : answer.getEntry()) {
			// 201 when created, 200 when ifNoneExist found the same Organization from an earlier load.
			assertThat(entry.getResponse().getStatus()).as(entry.getResponse().getOutcome() == null ? ""
					: CTX.newJsonParser().encodeResourceToString(entry.getResponse().getOutcome())).matches("20[01].*");
			String id = idFromLocation("/fhir/" + entry.getResponse().getLocation());
			assertThat(fhir().get("/" + id).statusCode()).isEqualTo(200);
			stored.merge(id.split("/")[0], 1, Integer::sum);
		}
		return stored;
	}

	/** How many of these ids of this type a search finds (POST _search: the id list is longer than a URL). */
	private int storedCount(String type, List<String> ids) {
		Response r = fhir().contentType("application/x-www-form-urlencoded")
				.formParam("_id", String.join(",", ids)).formParam("_summary", "count").formParam("_total", "accurate")
				.post("/" + type + "/_search");
		r.then().statusCode(200);
		return bundle(r).getTotal();
	}

	private static Map<String, Integer> countByType(Bundle bundle) {
		Map<String, Integer> counts = new TreeMap<>();
		bundle.getEntry().forEach(e -> counts.merge(e.getResource().fhirType(), 1, Integer::sum));
		return counts;
	}

	/** The committed record with its Patient's Synthea identifier made unique, to find it or its absence. */
	private static Bundle recordWithUniquePatient() {
		Bundle record = CTX.newJsonParser().parseResource(Bundle.class, resource("patient-record.json.gz"));
		Patient p = (Patient) record.getEntry().get(0).getResource();
		p.getIdentifier().stream().filter(i -> SYNTHEA_ID.equals(i.getSystem())).findFirst().orElseThrow()
				.setValue(Fixtures.unique("synthea"));
		return record;
	}

	private static String identifierOf(Bundle record) {
		Patient p = (Patient) record.getEntry().get(0).getResource();
		return SYNTHEA_ID + "|" + p.getIdentifier().stream().filter(i -> SYNTHEA_ID.equals(i.getSystem()))
				.findFirst().orElseThrow().getValue();
	}

	private static void forbidden(Response r) {
		r.then().statusCode(403);
		assertThat(outcome(r).getIssueFirstRep().getDiagnostics()).contains("Access denied");
	}

	private static byte[] gzip(byte[] content) {
		java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
		try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(out)) {
			gz.write(content);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		return out.toByteArray();
	}

	static String resource(String name) {
		try (InputStream in = SyntheaLoadRestTest.class.getResourceAsStream("/synthea/" + name)) {
			if (in == null) {
				throw new IllegalStateException("No test resource synthea/" + name);
			}
			return new String(new GZIPInputStream(in).readAllBytes(), StandardCharsets.UTF_8);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}

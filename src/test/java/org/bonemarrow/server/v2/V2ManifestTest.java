package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.hl7v2.util.Terser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bonemarrow.server.support.FhirServerTest;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Specimen;
import org.hl7.fhir.r4.model.Task;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every message of {@code sample-bundles/v2/manifest.json}, sent over a real MLLP socket and over
 * {@code POST /hl7v2}, each time with fresh identifiers (after the messages it requires, e.g. the order a
 * report is for): the ACK is the manifest's (MSA-1, MSA-2 = MSH-10, ERR-3, ERR-2, ERR-8) and the FHIR it
 * leaves is what a FHIR client's post would leave (the patient by MRN, the order by placer number, the
 * adapter's Procedure and Task, the report basedOn the order with its results and specimens, and with
 * {@code specimenCodes} the codes each stored specimen's type, method and site carry, in SPM order). An
 * entry's {@code sender} is its MSH-3 over both transports (a laboratory with its own code map). A refused
 * message stores nothing: no resource of any exam type is added.
 */
@FhirServerTest
class V2ManifestTest extends V2TestBase {

	private static final List<String> COUNTED = List.of(
			"Patient", "ServiceRequest", "Procedure", "Task", "Specimen", "Observation", "DiagnosticReport");

	static Stream<Arguments> manifest() throws IOException {
		JsonNode entries = new ObjectMapper().readTree(V2Samples.DIR.resolve("manifest.json").toFile());
		List<Arguments> out = new ArrayList<>();
		for (JsonNode e : entries) {
			for (Transport t : Transport.values()) {
				out.add(Arguments.of(e.get("file").asText(), t, e));
			}
		}
		return out.stream();
	}

	@ParameterizedTest(name = "{0} over {1}")
	@MethodSource("manifest")
	void answeredAndStoredAsTheManifestSays(String file, Transport transport, JsonNode entry) throws Exception {
		String suffix = V2Samples.newSuffix();
		for (JsonNode required : entry.path("requires")) {
			assertAa(send(transport, required.get("role").asText(), V2Samples.unique(required.get("file").asText(), suffix)));
		}
		boolean refused = entry.get("expect").has("errorCode");
		Map<String, Integer> before = refused ? counts() : Map.of();
		String message = V2Samples.unique(file, suffix);

		String ackEr7 = send(transport, entry.get("role").asText(),
				entry.has("sender") ? entry.get("sender").asText() : null, message);

		JsonNode expect = entry.get("expect");
		Terser ack = ack(ackEr7);
		assertThat(ack.get("/MSA-1")).as("MSA-1 (ERR-8: %s)", ack.get("/ERR-8")).isEqualTo(expect.get("ack").asText());
		assertThat(ack.get("/MSA-2")).isEqualTo(new Terser(V2Samples.parse(message)).get("/MSH-10"));
		assertThat(ack.get("/MSH-9-1")).isEqualTo("ACK");
		if (expect.has("errorCode")) {
			assertThat(ack.get("/ERR-3-1")).isEqualTo(expect.get("errorCode").asText());
			assertThat(ack.get("/ERR-3-3")).isEqualTo("HL70357");
			assertThat(ack.get("/ERR-4")).isEqualTo("E");
			assertThat(ack.get("/ERR-8")).contains(expect.get("errContains").asText());
			if (expect.has("location")) {
				String[] location = expect.get("location").asText().split("-");
				assertThat(ack.get("/ERR-2-1")).isEqualTo(location[0]);
				assertThat(ack.get("/ERR-2-3")).isEqualTo(location[1]);
			}
			assertThat(counts()).as("nothing stored for a refused message").isEqualTo(before);
		} else {
			// AA: an ERR segment only as a warning (severity W) for what was stored without being recognised.
			JsonNode warnings = expect.path("warnings");
			for (int i = 0; i < warnings.size(); i++) {
				JsonNode w = warnings.get(i);
				String err = "/ERR(" + i + ")";
				assertThat(ack.get(err + "-4")).as("ERR-4 of warning %s", i).isEqualTo("W");
				String[] location = w.get("location").asText().split("-");
				assertThat(ack.get(err + "-2-1")).isEqualTo(location[0]);
				assertThat(ack.get(err + "-2-3")).isEqualTo(location[1]);
				if (w.has("sequence")) {
					assertThat(ack.get(err + "-2-2")).isEqualTo(w.get("sequence").asText());
				}
				assertThat(ack.get(err + "-8")).contains(w.get("contains").asText());
			}
			assertThat(ack.getSegment("/ERR(" + warnings.size() + ")").isEmpty()).as("no further ERR segment").isTrue();
		}
		if (entry.has("then")) {
			assertStored(entry.get("then"), suffix);
		}
	}

	private void assertStored(JsonNode then, String suffix) throws IOException {
		String mrn = V2Samples.id(then.get("patient").asText(), suffix);
		List<Patient> patients = byIdentifier(Patient.class, V2Codes.MRN_SYSTEM, mrn);
		assertThat(patients).as("patients with MRN %s", mrn).hasSize(1);
		String patientId = patients.get(0).getIdElement().toUnqualifiedVersionless().getValue();

		List<ServiceRequest> orders = byIdentifier(ServiceRequest.class, V2Codes.PLACER_SYSTEM,
				V2Samples.id(then.get("order").asText(), suffix));
		assertThat(orders).hasSize(1);
		ServiceRequest order = orders.get(0);
		String orderId = order.getIdElement().toUnqualifiedVersionless().getValue();
		assertThat(order.getSubject().getReference()).isEqualTo(patientId);
		assertThat(order.getStatus().toCode()).isEqualTo(then.get("orderStatus").asText());
		assertThat(order.getMeta().getProfile()).extracting(p -> p.getValue()).contains(OrderMessageMapper.ORDER_PROFILE);

		List<Task> tasks = search(Task.class, "focus=" + orderId);
		assertThat(tasks).as("one fulfilment Task, made by the adapter").hasSize(1);
		assertThat(tasks.get(0).getStatus().toCode()).isEqualTo(then.get("taskStatus").asText());
		List<Procedure> procedures = search(Procedure.class, "based-on=" + orderId);
		assertThat(procedures).as("one Procedure, made by the adapter").hasSize(1);
		if (then.has("procedureStatus")) {
			assertThat(procedures.get(0).getStatus().toCode()).isEqualTo(then.get("procedureStatus").asText());
		}
		if (then.has("report")) {
			List<DiagnosticReport> reports = byIdentifier(DiagnosticReport.class, V2Codes.FILLER_SYSTEM,
					V2Samples.id(then.get("report").asText(), suffix));
			assertThat(reports).hasSize(1);
			DiagnosticReport report = reports.get(0);
			assertThat(report.getStatus().toCode()).isEqualTo(then.get("reportStatus").asText());
			assertThat(report.getBasedOnFirstRep().getReference()).isEqualTo(orderId);
			assertThat(report.getSubject().getReference()).isEqualTo(patientId);
			assertThat(report.getResult()).hasSize(then.get("observations").asInt());
			assertThat(report.getSpecimen()).hasSize(then.get("specimens").asInt());
			assertThat(search(DiagnosticReport.class, "based-on=" + orderId)).hasSize(1);
			List<Observation> observations = search(Observation.class, "based-on=" + orderId);
			assertThat(observations).hasSize(then.get("observations").asInt())
					.allSatisfy(o -> assertThat(o.getSubject().getReference()).isEqualTo(patientId));
			assertThat(tasks.get(0).getOutput()).as("the Task's output is the report").isNotEmpty();
			if ("final".equals(then.get("reportStatus").asText())) {
				// The report reaches the orderer: the test LIS (bonemarrow.v2.receivers) gets the ORU^R01.
				String placer = V2Samples.id(then.get("order").asText(), suffix);
				List<String> delivered = org.awaitility.Awaitility.await("ORU^R01 delivered for " + placer)
						.atMost(java.time.Duration.ofSeconds(30)).pollInterval(java.time.Duration.ofMillis(200))
						.until(() -> TestMllpReceiver.shared().containing(placer), list -> !list.isEmpty());
				for (JsonNode text : then.path("deliveredContains")) {
					assertThat(delivered.get(delivered.size() - 1)).contains(text.asText());
				}
			}
			if (then.has("presentedForm")) {
				// The report as a document (OBX ED/RP): exactly the bytes or the link the laboratory sent.
				JsonNode forms = then.get("presentedForm");
				assertThat(report.getPresentedForm()).hasSize(forms.size());
				for (int i = 0; i < forms.size(); i++) {
					JsonNode expected = forms.get(i);
					org.hl7.fhir.r4.model.Attachment form = report.getPresentedForm().get(i);
					assertThat(form.getContentType()).isEqualTo(expected.get("contentType").asText());
					if (expected.has("file")) {
						assertThat(form.getData()).as("presentedForm[%s] bytes", i)
								.isEqualTo(java.nio.file.Files.readAllBytes(V2Samples.DIR.resolve(expected.get("file").asText())));
					}
					if (expected.has("url")) {
						assertThat(form.getUrl()).isEqualTo(V2Samples.suffixed(expected.get("url").asText(), suffix));
					}
					if (expected.has("title")) {
						assertThat(form.getTitle()).isEqualTo(expected.get("title").asText());
					}
				}
			} else {
				assertThat(report.getPresentedForm()).as("no document sent, none stored").isEmpty();
			}
			if (then.has("unrecognised")) {
				assertThat(observations.stream().filter(o -> !o.getMeta().hasProfile()))
						.as("results stored as plain laboratory Observations, with OBX-3 as sent")
						.hasSize(then.get("unrecognised").asInt())
						.allSatisfy(o -> assertThat(o.getCategoryFirstRep().getCodingFirstRep().getCode()).isEqualTo("laboratory"))
						.allSatisfy(o -> assertThat(o.getCode().hasCoding() || o.getCode().hasText()).isTrue());
			}
			if (then.has("notes")) {
				assertThat(observations.stream().mapToInt(o -> o.getNote().size()).sum()).as("NTE after OBX as notes")
						.isEqualTo(then.get("notes").asInt());
			}
			if (then.has("components")) {
				assertThat(observations.stream().mapToInt(o -> o.getComponent().size()).sum())
						.isEqualTo(then.get("components").asInt());
			}
			if (then.has("resultSpecimens")) {
				assertThat(observations.stream().map(o -> o.getSpecimen().getReference()).distinct())
						.as("each result made from its own OBR's specimen").hasSize(then.get("resultSpecimens").asInt());
			}
			if (then.has("reportCodes")) {
				assertThat(codes(report.getCode())).containsAll(strings(then.get("reportCodes")));
			}
			if (then.has("specimenCodes")) {
				for (int i = 0; i < then.get("specimenCodes").size(); i++) {
					JsonNode expected = then.get("specimenCodes").get(i);
					Specimen specimen = parse(fhir().get("/" + report.getSpecimen().get(i).getReference()), Specimen.class);
					assertThat(codes(specimen.getType())).as("Specimen.type of SPM %s", i + 1)
							.containsAll(strings(expected.get("type")));
					assertThat(codes(specimen.getCollection().getMethod())).as("collection.method of SPM %s", i + 1)
							.containsAll(strings(expected.get("method")));
					assertThat(codes(specimen.getCollection().getBodySite())).as("collection.bodySite of SPM %s", i + 1)
							.containsAll(strings(expected.get("site")));
				}
			}
		}
	}

	/** "system|code" of each coding. */
	private static List<String> codes(org.hl7.fhir.r4.model.CodeableConcept cc) {
		return cc.getCoding().stream().map(c -> c.getSystem() + "|" + c.getCode()).toList();
	}

	private static List<String> strings(JsonNode array) {
		List<String> out = new ArrayList<>();
		array.forEach(n -> out.add(n.asText()));
		return out;
	}

	private Map<String, Integer> counts() {
		Map<String, Integer> out = new LinkedHashMap<>();
		for (String type : COUNTED) {
			out.put(type, bundle(fhir().get("/" + type + "?_summary=count")).getTotal());
		}
		return out;
	}
}

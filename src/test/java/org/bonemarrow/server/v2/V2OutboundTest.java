package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.hl7v2.util.Terser;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.junit.jupiter.api.Test;

/**
 * Results out: a bone marrow report stored final over FHIR reaches the configured v2 receiver (the test
 * JVM's MLLP receiver) as an ORU^R01, retried when the receiver answers AE, and again when it is corrected;
 * one delivery per status change, however many attempts it took.
 */
@FhirServerTest
class V2OutboundTest extends V2TestBase {

	private final TestMllpReceiver receiver = TestMllpReceiver.shared();

	@Test
	void finalThenCorrectedReportIsSentAsOruR01WithRetries() throws Exception {
		String mrn = Fixtures.unique("MRN-OUT");
		String placer = Fixtures.unique("PO-OUT");
		receiver.refuseFirstDeliveryOf(placer);

		Bundle response = bundle(fhir().body(json(Fixtures.examTransaction(mrn, placer))).post(""));
		String reportId = response.getEntry().stream()
				.filter(e -> e.getResponse().getLocation().startsWith("DiagnosticReport/"))
				.map(e -> e.getResponse().getLocation().replaceAll("/_history/.*", ""))
				.findFirst().orElseThrow();

		// The first delivery is refused (AE) and retried with the same MSH-10.
		List<String> finals = awaitMessages(placer, 2);
		Terser first = ack(finals.get(0));
		Terser retry = ack(finals.get(1));
		assertThat(retry.get("/MSH-10")).isEqualTo(first.get("/MSH-10"));
		assertThat(first.get("/MSH-9-1")).isEqualTo("ORU");
		assertThat(first.get("/MSH-9-2")).isEqualTo("R01");
		assertThat(first.get("/MSH-3-1")).isEqualTo("BONEMARROW-FHIR");
		assertThat(first.get("/MSH-5-1")).isEqualTo("TEST-LIS");
		assertThat(first.get("/.PID-3-1")).isEqualTo(mrn);
		assertThat(first.get("/.PID-3-5")).isEqualTo("MR");
		assertThat(first.get("/.ORC-2-1")).isEqualTo(placer);
		assertThat(first.get("/.OBR-2-1")).isEqualTo(placer);
		assertThat(first.get("/.OBR-4-1")).isEqualTo("48807-2");
		assertThat(first.get("/.OBR-4-3")).isEqualTo("LN");
		assertThat(first.get("/.OBR-25")).isEqualTo("F");
		assertThat(first.get("/.OBX-3-1")).isEqualTo("11138-5");
		assertThat(first.get("/.SPM-4-1")).isEqualTo("396997002");

		// Corrected: one more message, OBR-25 C.
		DiagnosticReport report = parse(fhir().get("/" + reportId), DiagnosticReport.class);
		report.setStatus(DiagnosticReport.DiagnosticReportStatus.CORRECTED);
		report.setConclusion("Normocellular marrow; M:E ratio corrected.");
		fhir().body(json(report)).put("/" + reportId).then().statusCode(200);

		List<String> all = awaitMessages(placer, 3);
		Terser corrected = ack(all.get(2));
		assertThat(corrected.get("/.OBR-25")).isEqualTo("C");
		assertThat(corrected.get("/MSH-10")).isNotEqualTo(first.get("/MSH-10"));
		assertThat(all.stream().map(m -> {
			try {
				return ack(m).get("/MSH-10");
			} catch (Exception e) {
				throw new IllegalStateException(e);
			}
		}).distinct()).as("one delivery per status change").hasSize(2);
	}

	private List<String> awaitMessages(String text, int count) {
		Awaitility.await("ORU^R01 messages for " + text).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
				.until(() -> receiver.containing(text).size() >= count);
		return receiver.containing(text);
	}
}

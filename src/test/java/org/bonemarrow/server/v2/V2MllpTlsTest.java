package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bonemarrow.server.v2.V2TlsTestSetup.EHR_SENDER;
import static org.bonemarrow.server.v2.V2TlsTestSetup.LAB_SENDER;

import ca.uhn.hl7v2.util.Terser;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.awaitility.Awaitility;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.Test;

/**
 * MLLP over TLS through the running server (the shared context's TLS listener, client-auth need, and its TLS
 * receiver {@code test-lis-tls}; see {@link V2TlsTestSetup}): senders identified by their certificates, refusals
 * at the handshake and by certificate binding, and a result delivered out over mutual TLS only once the
 * receiver's certificate verifies.
 */
@FhirServerTest
class V2MllpTlsTest extends V2TestBase {

	private final V2TlsTestSetup tls = V2TlsTestSetup.shared();

	private SSLContext as(TestPki.Issued certificate) {
		return tls.pki.context(certificate, tls.ca);
	}

	private static String from(String sender, String file, String suffix) {
		return V2Samples.withSendingApplication(V2Samples.unique(file, suffix), sender);
	}

	@Test
	void overMutualTlsAnOrderAndItsResultAreStoredAndAckedAa_eachSenderNamedByItsCertificate() throws Exception {
		String suffix = V2Samples.newSuffix();
		// The EHR is bound by its certificate's SHA-256 fingerprint, the laboratory by its subject DN.
		assertAa(MllpTlsSockets.send(as(tls.ehrClient), mllp.tlsPort(), from(EHR_SENDER, "orm-o01-new-order.hl7", suffix)));
		Terser ack = ack(MllpTlsSockets.send(as(tls.labClient), mllp.tlsPort(),
				from(LAB_SENDER, "oru-r01-final-report.hl7", suffix)));

		assertThat(ack.get("/MSA-1")).as("ERR-8 %s", ack.get("/ERR-8")).isEqualTo("AA");
		assertThat(ack.get("/MSH-5")).isEqualTo(LAB_SENDER);
		List<DiagnosticReport> reports = byIdentifier(DiagnosticReport.class, V2Codes.FILLER_SYSTEM,
				V2Samples.id("FO-V2-0001", suffix));
		assertThat(reports).singleElement().satisfies(r -> assertThat(r.getStatus()).isEqualTo(DiagnosticReport.DiagnosticReportStatus.FINAL));
	}

	@Test
	void noCertificate_anUntrustedOne_orPlainMllp_isRefusedAtTheHandshake_nothingStored_andTheListenerServesOn() throws Exception {
		String suffix = V2Samples.newSuffix();
		String order = from(EHR_SENDER, "orm-o01-new-order.hl7", suffix);

		assertThat(MllpTlsSockets.refused(as(null), mllp.tlsPort(), order)).as("no client certificate").isTrue();
		// The laboratory's very subject DN, from a CA the listener does not trust.
		assertThat(MllpTlsSockets.refused(as(tls.rogueLabClient), mllp.tlsPort(), from(LAB_SENDER, "orm-o01-new-order.hl7",
				suffix))).as("untrusted certificate").isTrue();
		assertThat(MllpTlsSockets.plainRefused(mllp.tlsPort(), order)).as("plain MLLP to the TLS port").isTrue();
		assertThat(byIdentifier(ServiceRequest.class, V2Codes.PLACER_SYSTEM, V2Samples.id("PO-V2-0001", suffix))).isEmpty();

		assertAa(MllpTlsSockets.send(as(tls.ehrClient), mllp.tlsPort(), order));
		assertThat(byIdentifier(ServiceRequest.class, V2Codes.PLACER_SYSTEM, V2Samples.id("PO-V2-0001", suffix))).hasSize(1);
		assertAa(V2Mllp.send(mllp.port(), V2Samples.withSendingApplication(V2Samples.unique("orm-o01-new-order.hl7"),
				"BM-TEST-EHR"))); // the plain listener, as before
	}

	@Test
	void aSenderBoundToAnotherCertificateOrToOneAtAll_isRefusedWithArNamingTheProblem_nothingStored_andAudited()
			throws Exception {
		String suffix = V2Samples.newSuffix();
		String controlId = "TLS-" + suffix;
		// The EHR's MSH-3 from the laboratory's (trusted) certificate.
		Terser other = ack(MllpTlsSockets.send(as(tls.labClient), mllp.tlsPort(),
				withControlId(from(EHR_SENDER, "orm-o01-new-order.hl7", suffix), controlId)));
		assertThat(other.get("/MSA-1")).isEqualTo("AR");
		assertThat(other.get("/MSA-2")).isEqualTo(controlId);
		assertThat(other.get("/ERR-2-1")).isEqualTo("MSH");
		assertThat(other.get("/ERR-2-3")).isEqualTo("3");
		assertThat(other.get("/ERR-3-1")).isEqualTo("207");
		assertThat(other.get("/ERR-8")).contains("sender " + EHR_SENDER + " is bound to another client certificate")
				.contains(MllpTls.fingerprint(tls.labClient.certificate())).contains("nothing was stored");

		// The same MSH-3 over plain MLLP: no certificate at all.
		Terser plain = ack(V2Mllp.send(mllp.port(), from(EHR_SENDER, "orm-o01-new-order.hl7", suffix)));
		assertThat(plain.get("/MSA-1")).isEqualTo("AR");
		assertThat(plain.get("/ERR-8")).contains("is not over TLS");

		// An unbound sender from a certificate bound to another sender.
		Terser unbound = ack(MllpTlsSockets.send(as(tls.labClient), mllp.tlsPort(),
				from("BM-TEST-EHR", "orm-o01-new-order.hl7", suffix)));
		assertThat(unbound.get("/MSA-1")).isEqualTo("AR");
		assertThat(unbound.get("/ERR-8")).contains("is bound to another sender than BM-TEST-EHR");

		assertThat(byIdentifier(ServiceRequest.class, V2Codes.PLACER_SYSTEM, V2Samples.id("PO-V2-0001", suffix))).isEmpty();

		AuditEvent event = Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
				.until(() -> bundle(fhirAs("auditor").get("/AuditEvent?entity-name=" + controlId)).getEntry(), e -> !e.isEmpty())
				.get(0).getResource() instanceof AuditEvent a ? a : null;
		assertThat(event).isNotNull();
		// With the ERR segment's code, location and reason since the console lists refused messages by them.
		assertThat(event.getOutcomeDesc()).startsWith("HL7 v2 ACK AR: ").contains("MSH-3");

		// A trusted certificate bound to no sender: MSH-3 names the sender, as over plain MLLP.
		assertAa(MllpTlsSockets.send(as(tls.unboundClient), mllp.tlsPort(), from("BM-TEST-EHR", "orm-o01-new-order.hl7",
				suffix)));
	}

	@Test
	void aResultGoesOutOverMutualTlsOnlyOnceTheReceiversCertificateVerifies_failedAttemptsAreRetriedNotDelivered()
			throws Exception {
		TestMllpReceiver receiver = tls.receiver;
		String placer = Fixtures.unique("PO-TLS");
		String status = "/$delivery-status?receiver=hl7v2/test-lis-tls";
		int deliveredBefore = Integer.parseInt(part(status, "delivered"));
		int untrustedBefore = receiver.untrustedHandshakes();
		receiver.presentUntrustedCertificate(true);
		try {
			Bundle response = bundle(fhir().body(json(Fixtures.examTransaction(Fixtures.unique("MRN-TLS"), placer))).post(""));
			String reportId = response.getEntry().stream()
					.filter(e -> e.getResponse().getLocation().startsWith("DiagnosticReport/"))
					.map(e -> e.getResponse().getLocation().replaceAll("/_history/.*", ""))
					.findFirst().orElseThrow();
			// test-lis-tls takes appended reports only (FhirServerTest): this one is the test's own.
			DiagnosticReport report = parse(fhir().get("/" + reportId), DiagnosticReport.class);
			report.setStatus(DiagnosticReport.DiagnosticReportStatus.APPENDED);
			fhir().body(json(report)).put("/" + reportId).then().statusCode(200);

			Awaitility.await("attempts refused on the receiver's certificate").atMost(Duration.ofSeconds(30))
					.pollInterval(Duration.ofMillis(200))
					.until(() -> receiver.untrustedHandshakes() >= untrustedBefore + 2
							&& String.valueOf(part(status, "last-error")).contains("not trusted"));
			assertThat(part(status, "last-error")).isEqualTo("TLS: the certificate presented is not trusted (not issued "
					+ "by a CA in the trust store)");
			assertThat(Integer.parseInt(part(status, "pending"))).isPositive();
			assertThat(Integer.parseInt(part(status, "delivered"))).isEqualTo(deliveredBefore);
			assertThat(receiver.containing(placer)).isEmpty();
		} finally {
			receiver.presentUntrustedCertificate(false);
		}

		Awaitility.await("delivered over TLS").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
				.until(() -> !receiver.containing(placer).isEmpty());
		Terser oru = ack(receiver.containing(placer).get(0));
		assertThat(oru.get("/MSH-9-1")).isEqualTo("ORU");
		assertThat(oru.get("/.OBR-2-1")).isEqualTo(placer);
		assertThat(oru.get("/.OBR-25")).isEqualTo("C");
		assertThat(receiver.clientSubjects).contains(V2TlsTestSetup.SERVER_CLIENT_DN);
		Awaitility.await("counted as delivered").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
				.until(() -> Integer.parseInt(part(status, "delivered")) == deliveredBefore + 1);
		assertThat(receiver.containing(placer)).as("delivered once").hasSize(1);
	}

	/** A part of the receiver's entry in {@code $delivery-status}. */
	private String part(String statusUrl, String name) {
		Parameters p = parse(fhirAs("integration").get(statusUrl), Parameters.class);
		return p.getParameterFirstRep().getPart().stream().filter(x -> x.getName().equals(name))
				.map(x -> x.getValue().primitiveValue()).findFirst().orElse(null);
	}

	private static String withControlId(String er7, String controlId) {
		String[] lines = er7.split("\r", -1);
		String[] msh = lines[0].split("\\|", -1);
		msh[9] = controlId; // MSH-10: fields[0] is "MSH", fields[1] is MSH-2
		lines[0] = String.join("|", msh);
		return String.join("\r", lines);
	}
}

package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bonemarrow.server.v2.MllpTestSockets.closedByServer;
import static org.bonemarrow.server.v2.MllpTestSockets.frame;
import static org.bonemarrow.server.v2.MllpTestSockets.readAnswer;

import ca.uhn.hl7v2.util.Terser;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.bonemarrow.server.support.FhirServerTest;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 19 H2 and the "MSH and PID only" item, in the shared server: what one message may hold and what one
 * MLLP sender may take (defaults: 5 MB, 5000 segments, 1000 repetitions, 50 connections), and messages that
 * carry nothing to store.
 */
@FhirServerTest
class V2InboundLimitsTest extends V2TestBase {

	private static final int MAX_CONNECTIONS = 50;

	private static String headerAndPid(String file, String suffix) {
		String[] lines = V2Samples.unique(file, suffix).split("\r");
		return lines[0] + "\r" + lines[1];
	}

	@ParameterizedTest
	@EnumSource(Transport.class)
	void anOrderMessageWithoutAnOrderIsAeAndStoresNothing(Transport transport) throws Exception {
		String suffix = V2Samples.newSuffix();

		Terser t = ack(send(transport, "ehr", headerAndPid("orm-o01-new-order.hl7", suffix)));

		assertThat(t.get("/MSA-1")).isEqualTo("AE");
		assertThat(t.get("/ERR-3-1")).isEqualTo("101");
		assertThat(t.get("/ERR-2-1")).isEqualTo("ORC");
		assertThat(t.get("/ERR-8")).contains("no order");
		assertThat(byIdentifier(Patient.class, V2Codes.MRN_SYSTEM, V2Samples.id("MRN-V2-1001", suffix))).isEmpty();
	}

	@ParameterizedTest
	@EnumSource(Transport.class)
	void aResultMessageWithoutAnObrIsAe(Transport transport) throws Exception {
		String suffix = V2Samples.newSuffix();
		assertAa(send(transport, "ehr", V2Samples.unique("orm-o01-new-order.hl7", suffix)));

		Terser t = ack(send(transport, "lab", headerAndPid("oru-r01-final-report.hl7", suffix)));

		assertThat(t.get("/MSA-1")).isEqualTo("AE");
		assertThat(t.get("/ERR-3-1")).isEqualTo("101");
		assertThat(t.get("/ERR-2-1")).isEqualTo("OBR");
		String patient = byIdentifier(Patient.class, V2Codes.MRN_SYSTEM, V2Samples.id("MRN-V2-1001", suffix)).get(0)
				.getIdElement().toUnqualifiedVersionless().getValue();
		assertThat(search(org.hl7.fhir.r4.model.DiagnosticReport.class, "subject=" + patient)).isEmpty();
	}

	/**
	 * No HTTP filter sees an MLLP frame, so a result value that would expand into memory when indexed
	 * ({@code value-quantity}) is refused at storage: AE, nothing stored, and the same result with an
	 * ordinary number is then AA.
	 */
	@Test
	void overMllpAResultValueWithAHugeExponentIsAe_andNothingIsStored() throws Exception {
		String suffix = V2Samples.newSuffix();
		assertAa(send(Transport.MLLP, "ehr", V2Samples.unique("orm-o01-new-order.hl7", suffix)));
		String result = V2Samples.unique("oru-r01-final-report.hl7", suffix);
		String huge = result.replace("|62|%^percent^UCUM|", "|1e999999999|%^percent^UCUM|");
		assertThat(huge).isNotEqualTo(result);

		Terser ack = ack(send(Transport.MLLP, "lab", huge));
		assertThat(ack.get("/MSA-1")).as("ERR-8 %s", ack.get("/ERR-8")).isEqualTo("AE");
		assertThat(byIdentifier(org.hl7.fhir.r4.model.DiagnosticReport.class, V2Codes.FILLER_SYSTEM,
				V2Samples.id("FO-V2-0001", suffix))).isEmpty();
		assertAa(send(Transport.MLLP, "lab", result));
	}

	@Test
	void overMllpAFrameOverFiveMegabytesIsRefusedUnreadAndTheListenerGoesOn() throws Exception {
		String suffix = V2Samples.newSuffix();
		String order = V2Samples.withSendingApplication(V2Samples.unique("orm-o01-new-order.hl7", suffix), "BM-TEST-EHR");
		String oversize = order + "\rNTE|2||" + "x".repeat(6 * 1024 * 1024);

		try (Socket s = connect()) {
			s.getOutputStream().write(frame(oversize));
			s.getOutputStream().flush();
			Terser t = ack(readAnswer(s));
			assertThat(t.get("/MSA-1")).isEqualTo("AR");
			assertThat(t.get("/MSA-2")).isEqualTo("MSG-V2-0001");
			assertThat(t.get("/ERR-3-1")).isEqualTo("207");
			assertThat(t.get("/ERR-8")).contains("max-message-size").contains("nothing was stored");
			assertThat(closedByServer(s)).as("the connection is closed after the refusal").isTrue();
		}
		assertThat(byIdentifier(Patient.class, V2Codes.MRN_SYSTEM, V2Samples.id("MRN-V2-1001", suffix))).isEmpty();
		assertThat(byIdentifier(ServiceRequest.class, V2Codes.PLACER_SYSTEM, V2Samples.id("PO-V2-0001", suffix))).isEmpty();

		assertAa(send(Transport.MLLP, "ehr", V2Samples.unique("orm-o01-new-order.hl7", suffix)));
		assertThat(byIdentifier(ServiceRequest.class, V2Codes.PLACER_SYSTEM, V2Samples.id("PO-V2-0001", suffix))).hasSize(1);
	}

	@ParameterizedTest
	@EnumSource(Transport.class)
	void tooManySegmentsAreRefusedBeforeTheMessageIsParsed(Transport transport) throws Exception {
		String suffix = V2Samples.newSuffix();
		String message = V2Samples.unique("orm-o01-new-order.hl7", suffix) + "\rNTE|2||more".repeat(5000);

		Terser t = ack(send(transport, "ehr", message));

		assertThat(t.get("/MSA-1")).isEqualTo("AR");
		assertThat(t.get("/ERR-3-1")).isEqualTo("207");
		assertThat(t.get("/ERR-8")).contains("5000 segments");
		assertThat(byIdentifier(Patient.class, V2Codes.MRN_SYSTEM, V2Samples.id("MRN-V2-1001", suffix))).isEmpty();
	}

	/** 200 KB of repetitions of PID-3 (a CX of ten components) kept ~290 MB of heap in HAPI's parser before the limit. */
	@ParameterizedTest
	@EnumSource(Transport.class)
	void tooManyRepetitionsAreRefusedBeforeTheMessageIsParsed(Transport transport) throws Exception {
		String suffix = V2Samples.newSuffix();
		String message = V2Samples.unique("orm-o01-new-order.hl7", suffix).replace("\rPID|1||", "\rPID|1||" + "1~".repeat(100_000));

		Terser t = ack(send(transport, "ehr", message));

		assertThat(t.get("/MSA-1")).isEqualTo("AR");
		assertThat(t.get("/ERR-3-1")).isEqualTo("207");
		assertThat(t.get("/ERR-8")).contains("1000 field repetitions");
		assertThat(byIdentifier(Patient.class, V2Codes.MRN_SYSTEM, V2Samples.id("MRN-V2-1001", suffix))).isEmpty();
	}

	@Test
	void connectionsOverTheLimitAreClosedAtOnce_threadsStayBounded_andTheListenerServesAgainWhenSomeClose() throws Exception {
		List<Socket> idle = new ArrayList<>();
		try {
			for (int i = 0; i < MAX_CONNECTIONS; i++) {
				idle.add(connect());
			}
			Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> mllp.server().openConnections() == MAX_CONNECTIONS);
			List<Socket> extra = new ArrayList<>();
			for (int i = 0; i < 20; i++) {
				extra.add(connect());
			}
			for (Socket s : extra) {
				assertThat(closedByServer(s)).as("a connection over max-connections is closed").isTrue();
				s.close();
			}
			assertThat(mllp.server().openConnections()).isEqualTo(MAX_CONNECTIONS);
			assertThat(mllp.server().connectionThreads()).isLessThanOrEqualTo(MAX_CONNECTIONS);
			assertThat(Thread.getAllStackTraces().keySet().stream()
					.filter(t -> t.isAlive() && t.getName().startsWith(V2MllpListener.THREAD_NAME + "-")).count())
					.as("the listener's threads: one acceptor and at most one per allowed connection")
					.isLessThanOrEqualTo(MAX_CONNECTIONS + 1);

			for (Socket s : idle.subList(0, 10)) {
				s.close();
			}
			Awaitility.await().atMost(Duration.ofSeconds(20))
					.until(() -> mllp.server().openConnections() <= MAX_CONNECTIONS - 10);
			assertAa(send(Transport.MLLP, "ehr", V2Samples.unique("orm-o01-new-order.hl7", V2Samples.newSuffix())));
		} finally {
			for (Socket s : idle) {
				s.close();
			}
		}
		Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> mllp.server().openConnections() == 0);
	}

	private Socket connect() throws IOException {
		Socket s = new Socket(InetAddress.getLoopbackAddress(), mllp.port());
		s.setSoTimeout(30_000);
		return s;
	}
}

package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.hl7v2.ErrorCode;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.util.Terser;
import org.junit.jupiter.api.Test;

/** ACKs as HAPI generates them, with our ERR fields; without a server. */
class AckBuilderTest {

	private static final HapiContext HAPI = V2Hapi.parsingContext();

	private static V2Header header(String file) {
		return V2Header.read(V2Samples.unique(file, "T3"), HAPI).orElseThrow();
	}

	private static Terser terser(String ack) throws Exception {
		Message m = HAPI.getPipeParser().parse(ack);
		return new Terser(m);
	}

	@Test
	void headerIsReadOnItsOwn() {
		V2Header h = header("orm-o01-new-order.hl7");
		assertThat(h.sendingApplication()).isEqualTo("EHR-APP");
		assertThat(h.messageType()).isEqualTo("ORM^O01");
		assertThat(h.controlId()).isEqualTo("MSG-V2-0001");
		assertThat(h.version()).isEqualTo("2.5.1");
	}

	@Test
	void aaEchoesTheControlIdAndAnswersTheSender() throws Exception {
		Terser t = terser(AckBuilder.accept(header("orm-o01-new-order.hl7")));
		assertThat(t.get("/MSH-9-1")).isEqualTo("ACK");
		assertThat(t.get("/MSH-9-2")).isEqualTo("O01");
		assertThat(t.get("/MSH-3-1")).isEqualTo("BONEMARROW-FHIR");
		assertThat(t.get("/MSH-5-1")).isEqualTo("EHR-APP");
		assertThat(t.get("/MSH-10")).startsWith("BM");
		assertThat(t.get("/MSA-1")).isEqualTo("AA");
		assertThat(t.get("/MSA-2")).isEqualTo("MSG-V2-0001");
		assertThat(t.getSegment("/ERR").isEmpty()).isTrue();
	}

	@Test
	void aeCarriesLocationCodeSeverityAndUserMessage() throws Exception {
		V2Rejection r = V2Rejection.error(ErrorCode.REQUIRED_FIELD_MISSING, "PID", 3, "PID-3 is empty");
		Terser t = terser(AckBuilder.error(header("order-missing-patient-identifier.invalid.hl7"), r));
		assertThat(t.get("/MSA-1")).isEqualTo("AE");
		assertThat(t.get("/MSA-2")).isEqualTo("MSG-V2-0102");
		assertThat(t.get("/ERR-2-1")).isEqualTo("PID");
		assertThat(t.get("/ERR-2-3")).isEqualTo("3");
		assertThat(t.get("/ERR-3-1")).isEqualTo("101");
		assertThat(t.get("/ERR-3-3")).isEqualTo("HL70357");
		assertThat(t.get("/ERR-4")).isEqualTo("E");
		assertThat(t.get("/ERR-8")).isEqualTo("PID-3 is empty");
	}

	@Test
	void arForAnUnsupportedType() throws Exception {
		V2Rejection r = V2Rejection.reject(ErrorCode.UNSUPPORTED_MESSAGE_TYPE, "MSH", 9, "not supported");
		Terser t = terser(AckBuilder.error(header("unsupported-message-type.invalid.hl7"), r));
		assertThat(t.get("/MSA-1")).isEqualTo("AR");
		assertThat(t.get("/MSH-9-2")).isEqualTo("A01");
		assertThat(t.get("/ERR-3-1")).isEqualTo("200");
	}

	@Test
	void anUnreadableMessageStillGetsAnAr() throws Exception {
		assertThat(V2Header.read("hello", HAPI)).isEmpty();
		Terser t = terser(AckBuilder.unreadable(HAPI, "no MSH"));
		assertThat(t.get("/MSA-1")).isEqualTo("AR");
		assertThat(t.get("/ERR-8")).isEqualTo("no MSH");
	}
}

package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.util.Terser;
import io.restassured.response.Response;
import java.util.List;
import java.util.Map;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.Resource;
import org.springframework.beans.factory.annotation.Autowired;

/** Sending messages over either transport, and reading ACKs and the FHIR they left behind. */
abstract class V2TestBase extends RestTestBase {

	enum Transport { MLLP, HTTP }

	/** The MLLP sender (MSH-3) configured for each role in FhirServerTest. */
	static final Map<String, String> MLLP_SENDERS = Map.of(
			"ehr", "BM-TEST-EHR", "lab", "BM-TEST-LAB", "integration", "BM-TEST-INTEGRATION");

	@Autowired
	V2MllpListener mllp;

	/** Sends the message as a sender with this role and returns the ACK (ER7). */
	String send(Transport transport, String role, String message) throws Exception {
		if (transport == Transport.MLLP) {
			String sender = MLLP_SENDERS.getOrDefault(role, role);
			return V2Mllp.send(mllp.port(), V2Samples.withSendingApplication(message, sender));
		}
		Response r = V2Http.post(port, token(role), message);
		r.then().statusCode(200).contentType("x-application/hl7-v2+er7");
		return r.asString();
	}

	/**
	 * The same from a named sending application: over MLLP MSH-3 is set to {@code sender} (configured in
	 * FhirServerTest with its role); over HTTP the token is the role's and MSH-3 is also {@code sender},
	 * which names the code maps that read the message.
	 */
	String send(Transport transport, String role, String sender, String message) throws Exception {
		if (sender == null) {
			return send(transport, role, message);
		}
		String fromSender = V2Samples.withSendingApplication(message, sender);
		if (transport == Transport.MLLP) {
			return V2Mllp.send(mllp.port(), fromSender);
		}
		Response r = V2Http.post(port, token(role), fromSender);
		r.then().statusCode(200).contentType("x-application/hl7-v2+er7");
		return r.asString();
	}

	static Terser ack(String er7) throws HL7Exception {
		return new Terser(V2Hapi.parsingContext().getPipeParser().parse(er7));
	}

	static String msa1(String ack) throws HL7Exception {
		return ack(ack).get("/MSA-1");
	}

	/** The stored resources of a type with an identifier in one of our systems. */
	<T extends Resource> List<T> byIdentifier(Class<T> type, String system, String value) {
		return search(type, "identifier=" + system + "|" + value);
	}

	<T extends Resource> List<T> search(Class<T> type, String query) {
		Response r = fhir().get("/" + type.getSimpleName() + "?" + query);
		r.then().statusCode(200);
		return bundle(r).getEntry().stream().map(e -> e.getResource()).filter(type::isInstance).map(type::cast).toList();
	}

	static void assertAa(String ack) throws HL7Exception {
		Terser t = ack(ack);
		assertThat(t.get("/MSA-1")).as("ACK %s (ERR-8 %s)", t.get("/MSA-1"), t.get("/ERR-8")).isEqualTo("AA");
	}
}

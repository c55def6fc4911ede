package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.util.Terser;
import java.util.Optional;

/**
 * The message header (MSH) of an inbound message, read on its own before the body, so that every answer,
 * even to a message whose body cannot be parsed, is an ACK addressed back to the sender with MSA-2 = MSH-10.
 * HAPI parses the MSH segment; this class only cuts it from the rest.
 *
 * @param headerOnly the MSH segment parsed as a message of its own (what ACKs are generated from)
 */
public record V2Header(
		Message headerOnly,
		String sendingApplication,
		String sendingFacility,
		String messageCode,
		String triggerEvent,
		String controlId,
		String processingId,
		String version) {

	/** {@code ORM^O01}, for logs and messages. */
	public String messageType() {
		return (messageCode == null ? "" : messageCode) + "^" + (triggerEvent == null ? "" : triggerEvent);
	}

	/**
	 * Reads the MSH of an ER7 message whose segments are separated by {@code \r}. Empty when there is no
	 * MSH segment at the start or HAPI cannot read it.
	 */
	public static Optional<V2Header> read(String er7, HapiContext hapi) {
		if (er7 == null || !er7.startsWith("MSH") || er7.length() < 8) {
			return Optional.empty();
		}
		int end = er7.indexOf('\r');
		String msh = end < 0 ? er7 : er7.substring(0, end);
		try {
			Message headerOnly = hapi.getPipeParser().parse(msh);
			Terser t = new Terser(headerOnly);
			return Optional.of(new V2Header(headerOnly,
					t.get("/MSH-3-1"), t.get("/MSH-4-1"), t.get("/MSH-9-1"), t.get("/MSH-9-2"),
					t.get("/MSH-10"), t.get("/MSH-11-1"), t.get("/MSH-12-1")));
		} catch (HL7Exception | RuntimeException e) {
			return Optional.empty();
		}
	}
}

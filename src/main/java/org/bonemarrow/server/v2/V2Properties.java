package org.bonemarrow.server.v2;

import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The HL7 v2 gateway ({@code bonemarrow.v2.*} in application.yaml): its two inbound transports and the
 * systems that receive results as ORU^R01.
 *
 * @param sendingApplication MSH-3 of the messages this server sends (outbound ORU^R01)
 * @param sendingFacility    MSH-4 of the messages this server sends
 * @param http               the HTTP endpoint {@code POST /hl7v2}
 * @param mllp               the MLLP listener
 * @param receivers          receiving systems sent an ORU^R01 when a bone marrow report becomes final or
 *                           is corrected or amended
 */
@ConfigurationProperties("bonemarrow.v2")
public record V2Properties(
		@DefaultValue("BONEMARROW-FHIR") String sendingApplication,
		@DefaultValue("BONEMARROW") String sendingFacility,
		@DefaultValue Http http,
		@DefaultValue Mllp mllp,
		@DefaultValue List<Receiver> receivers) {

	public V2Properties {
		receivers = receivers == null ? List.of() : List.copyOf(receivers);
		for (Receiver r : receivers) {
			if (r.id() == null || !r.id().matches("[A-Za-z0-9-]{1,50}")) {
				throw new IllegalArgumentException("bonemarrow.v2.receivers[].id must be 1-50 letters, digits or '-'");
			}
			if (r.host() == null || r.host().isBlank() || r.port() < 1 || r.port() > 65535) {
				throw new IllegalArgumentException("bonemarrow.v2.receivers[" + r.id() + "] needs a host and a port 1..65535");
			}
			if (r.retries() < 0 || r.retries() > 10) {
				throw new IllegalArgumentException("bonemarrow.v2.receivers[" + r.id() + "].retries must be 0..10");
			}
		}
	}

	/** @param enabled serve {@code POST /hl7v2} (one ER7 message per request, caller from the bearer token) */
	public record Http(@DefaultValue("true") boolean enabled) {}

	/**
	 * @param enabled        start the MLLP listener
	 * @param bindAddress    local address the listener binds to (127.0.0.1: this host only)
	 * @param port           TCP port; 0 picks a free one (tests)
	 * @param senders        MSH-3 (sending application, HD-1) to role name ({@code bonemarrow.security.roles.<role>});
	 *                       a sender not listed here is refused with AR
	 */
	public record Mllp(
			@DefaultValue("false") boolean enabled,
			@DefaultValue("127.0.0.1") String bindAddress,
			@DefaultValue("2575") int port,
			@DefaultValue Map<String, String> senders) {

		public Mllp {
			senders = senders == null ? Map.of() : Map.copyOf(senders);
			if (port < 0 || port > 65535) {
				throw new IllegalArgumentException("bonemarrow.v2.mllp.port must be 0..65535");
			}
		}
	}

	/**
	 * @param id                  stable name (letters, digits, '-'), used in logs
	 * @param host                host name or address of the receiving system's MLLP listener
	 * @param port                its TCP port
	 * @param receivingApplication MSH-5 of the messages sent to it
	 * @param receivingFacility   MSH-6 of the messages sent to it
	 * @param statuses            DiagnosticReport statuses that are sent (final, corrected, amended, appended)
	 * @param retries             further attempts after a failed one (no connection, timeout, AE/AR) 0..10
	 * @param backoffMillis       wait before the first retry; doubled for each further one
	 * @param timeoutMillis       how long to wait for the receiver's ACK
	 */
	public record Receiver(
			String id,
			String host,
			int port,
			@DefaultValue("") String receivingApplication,
			@DefaultValue("") String receivingFacility,
			@DefaultValue({"final", "corrected", "amended"}) List<String> statuses,
			@DefaultValue("3") int retries,
			@DefaultValue("2000") long backoffMillis,
			@DefaultValue("10000") long timeoutMillis) {}
}

package org.bonemarrow.server.v2;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The HL7 v2 gateway ({@code bonemarrow.v2.*} in application.yaml): its two inbound transports and the
 * systems that receive results as ORU^R01.
 *
 * @param sendingApplication MSH-3 of the messages this server sends (outbound ORU^R01)
 * @param sendingFacility    MSH-4 of the messages this server sends
 * @param http               the HTTP endpoint {@code POST /hl7v2}
 * @param mllp               the MLLP listener
 * @param limits             what any inbound message may hold, over either transport
 * @param receivers          receiving systems sent an ORU^R01 when a bone marrow report becomes final or
 *                           is corrected or amended
 * @param codeMaps           the ConceptMaps that translate inbound codes (README "Adding a sender's code map")
 */
@ConfigurationProperties("bonemarrow.v2")
public record V2Properties(
		@DefaultValue("BONEMARROW-FHIR") String sendingApplication,
		@DefaultValue("BONEMARROW") String sendingFacility,
		@DefaultValue Http http,
		@DefaultValue Mllp mllp,
		@DefaultValue Limits limits,
		@DefaultValue List<Receiver> receivers,
		@DefaultValue CodeMaps codeMaps) {

	/** The standard maps shipped in fhir-profiles/, applied to every sender unless configured otherwise. */
	public static final String STANDARD_0487 = "https://bonemarrow-exam.example/fhir/ConceptMap/bme-v2-0487-specimen-types";
	public static final String STANDARD_0488 = "https://bonemarrow-exam.example/fhir/ConceptMap/bme-v2-0488-collection-methods";
	public static final String STANDARD_0550 = "https://bonemarrow-exam.example/fhir/ConceptMap/bme-v2-0550-body-sites";

	public V2Properties {
		receivers = receivers == null ? List.of() : List.copyOf(receivers);
		for (Receiver r : receivers) {
			if (r.id() == null || !r.id().matches("[A-Za-z0-9-]{1,50}")) {
				throw new IllegalArgumentException("bonemarrow.v2.receivers[].id must be 1-50 letters, digits or '-'");
			}
			if (r.host() == null || r.host().isBlank() || r.port() < 1 || r.port() > 65535) {
				throw new IllegalArgumentException("bonemarrow.v2.receivers[" + r.id() + "] needs a host and a port 1..65535");
			}
			if (r.retries() != null || r.backoffMillis() != null) {
				// A setting that would be silently ignored is refused: results now retry for days, not a few times.
				throw new IllegalArgumentException("bonemarrow.v2.receivers[" + r.id() + "].retries and backoff-millis are"
						+ " replaced by bonemarrow.delivery (first-retry, max-interval, give-up-after), shared by every receiver");
			}
			if (r.timeoutMillis() < 1 || r.timeoutMillis() > 600_000) {
				throw new IllegalArgumentException("bonemarrow.v2.receivers[" + r.id() + "].timeout-millis must be 1..600000");
			}
		}
	}

	/**
	 * Code maps for inbound messages: FHIR ConceptMaps, named by canonical url, stored in the server.
	 *
	 * @param standard  maps applied to every sender (the package's maps for HL7 tables 0487, 0488, 0550)
	 * @param senders   MSH-3 (HD-1, over MLLP and over HTTP) to the urls of that sender's own maps, which are
	 *                  consulted before the standard ones; its local coding systems are
	 *                  {@code https://bonemarrow-exam.example/fhir/v2-local/<MSH-3>/<CWE-3>}
	 * @param directory a folder whose {@code *.json} ConceptMaps are created or updated (by url) at start-up;
	 *                  empty: none
	 */
	public record CodeMaps(
			@DefaultValue({STANDARD_0487, STANDARD_0488, STANDARD_0550}) List<String> standard,
			@DefaultValue Map<String, List<String>> senders,
			@DefaultValue("") String directory) {

		public CodeMaps {
			standard = standard == null ? List.of() : standard.stream().map(String::trim).filter(u -> !u.isEmpty()).toList();
			senders = senders == null ? Map.of() : Map.copyOf(senders);
			for (Map.Entry<String, List<String>> e : senders.entrySet()) {
				if (e.getValue() == null || e.getValue().stream().anyMatch(u -> u == null || !u.trim().matches("https?://\\S+|urn:\\S+"))) {
					throw new IllegalArgumentException("bonemarrow.v2.code-maps.senders." + e.getKey()
							+ " must list ConceptMap canonical urls (http(s):// or urn:)");
				}
			}
		}

		/** The urls of a sender's maps, then the standard ones. */
		public List<String> mapsFor(String sender) {
			List<String> out = new java.util.ArrayList<>();
			if (sender != null) {
				senders.getOrDefault(sender, List.of()).stream().map(String::trim).forEach(out::add);
			}
			standard.stream().filter(u -> !out.contains(u)).forEach(out::add);
			return out;
		}
	}

	/** @param enabled serve {@code POST /hl7v2} (one ER7 message per request, caller from the bearer token) */
	public record Http(@DefaultValue("true") boolean enabled) {}

	/**
	 * @param enabled        start the plain MLLP listener on {@code port}
	 * @param bindAddress    local address the listener binds to (127.0.0.1: this host only)
	 * @param port           TCP port; 0 picks a free one (tests)
	 * @param senders        MSH-3 (sending application, HD-1) to role name ({@code bonemarrow.security.roles.<role>});
	 *                       a sender not listed here is refused with AR
	 * @param maxMessageSize largest MLLP frame read (the message between the frame's start and end bytes), the
	 *                       same 5 MB as an HTTP body by default; a bigger one is answered AR and its connection
	 *                       closed, and no more than this is ever held in memory for it (1KB..64MB)
	 * @param maxConnections most connections open at once, each served by one thread of a pool of this size;
	 *                       one more is closed as soon as it is accepted (1..1000)
	 * @param maxTotalSize   messages over 64 KB held in memory by all connections together; a frame that would
	 *                       go over waits for up to {@code idleTimeout}, then is answered AR (maxMessageSize..1GB)
	 * @param idleTimeout    a connection that sends nothing for this long is closed (1s..1h)
	 * @param allowedPeers   IP addresses or CIDR ranges (e.g. 10.1.2.3, 10.1.0.0/16, ::1) that may connect;
	 *                       a connection from elsewhere is closed before anything is read. Empty: any address
	 * @param tls            MLLP over TLS on a port of its own, with the same senders and limits (each listener
	 *                       has its own {@code maxConnections} and {@code maxTotalSize})
	 */
	public record Mllp(
			@DefaultValue("false") boolean enabled,
			@DefaultValue("127.0.0.1") String bindAddress,
			@DefaultValue("2575") int port,
			@DefaultValue Map<String, String> senders,
			@DefaultValue("5MB") DataSize maxMessageSize,
			@DefaultValue("50") int maxConnections,
			@DefaultValue("20MB") DataSize maxTotalSize,
			@DefaultValue("60s") Duration idleTimeout,
			@DefaultValue List<String> allowedPeers,
			@DefaultValue Tls tls) {

		public Mllp {
			senders = senders == null ? Map.of() : Map.copyOf(senders);
			allowedPeers = allowedPeers == null ? List.of() : allowedPeers.stream().map(String::trim)
					.filter(a -> !a.isEmpty()).toList();
			if (port < 0 || port > 65535) {
				throw new IllegalArgumentException("bonemarrow.v2.mllp.port must be 0..65535");
			}
			maxMessageSize = maxMessageSize == null ? DataSize.ofMegabytes(5) : maxMessageSize;
			if (maxMessageSize.toBytes() < 1024 || maxMessageSize.toBytes() > DataSize.ofMegabytes(64).toBytes()) {
				throw new IllegalArgumentException("bonemarrow.v2.mllp.max-message-size must be 1KB..64MB");
			}
			if (maxConnections < 1 || maxConnections > 1000) {
				throw new IllegalArgumentException("bonemarrow.v2.mllp.max-connections must be 1..1000");
			}
			maxTotalSize = maxTotalSize == null ? DataSize.ofMegabytes(20) : maxTotalSize;
			if (maxTotalSize.toBytes() < maxMessageSize.toBytes() || maxTotalSize.toBytes() > DataSize.ofGigabytes(1).toBytes()) {
				throw new IllegalArgumentException("bonemarrow.v2.mllp.max-total-size must be max-message-size..1GB");
			}
			idleTimeout = idleTimeout == null ? Duration.ofSeconds(60) : idleTimeout;
			if (idleTimeout.compareTo(Duration.ofSeconds(1)) < 0 || idleTimeout.compareTo(Duration.ofHours(1)) > 0) {
				throw new IllegalArgumentException("bonemarrow.v2.mllp.idle-timeout must be 1s..1h");
			}
			for (String peer : allowedPeers) {
				MllpServer.peerMatcher(peer); // refuses host names and malformed addresses at startup
			}
			tls = tls == null ? new Tls(false, 2576, null, null, null, null, null, null, null, null,
					MllpServer.ClientAuth.NEED, null, null) : tls;
			if (enabled && tls.enabled() && port != 0 && port == tls.port()) {
				throw new IllegalArgumentException("bonemarrow.v2.mllp.port and bonemarrow.v2.mllp.tls.port must differ");
			}
			for (String sender : tls.certificateSenders().keySet()) {
				if (!senders.containsKey(sender)) {
					throw new IllegalArgumentException("bonemarrow.v2.mllp.tls.certificate-senders." + sender
							+ ": not a configured sender (bonemarrow.v2.mllp.senders." + sender + ": <role>)");
				}
			}
		}

		/** Whether either listener is on. */
		public boolean anyListener() {
			return enabled || tls.enabled();
		}

		/** The listener's limits, as the transport wants them; segments are counted while a frame is read. */
		public MllpServer.Limits limits(Limits message) {
			return new MllpServer.Limits((int) maxMessageSize.toBytes(), message.maxSegments(), maxConnections,
					maxTotalSize.toBytes(), idleTimeout, allowedPeers);
		}
	}

	/**
	 * The MLLP over TLS listener ({@code bonemarrow.v2.mllp.tls}).
	 *
	 * @param enabled            start it, on {@code port}
	 * @param port               its TCP port (no port is registered for MLLP over TLS; 2576 by default); 0: free
	 * @param keyStore           the listener's private key and certificate chain (PKCS12 or JKS file)
	 * @param keyStoreType       PKCS12 | JKS
	 * @param keyStorePassword   its password (e.g. {@code ${MLLP_TLS_KEY_STORE_PASSWORD}})
	 * @param keyPassword        the key's password when it differs from the store's
	 * @param keyAlias           the key to use when the store holds several
	 * @param trustStore         the CA certificates client certificates must chain to (needed unless client-auth none)
	 * @param trustStoreType     PKCS12 | JKS
	 * @param trustStorePassword its password
	 * @param clientAuth         none | want | need: whether clients must present a certificate (need: mutual TLS)
	 * @param protocols          TLS protocols offered
	 * @param certificateSenders MSH-3 (a configured sender) -> the client certificate it must come with: subject
	 *                           DN or SHA-256 fingerprint ({@link MllpTls.CertificateBinding}); a message naming a
	 *                           bound sender from another (or no) certificate, or naming an unbound sender from a
	 *                           certificate bound to another, is refused with AR
	 */
	public record Tls(
			@DefaultValue("false") boolean enabled,
			@DefaultValue("2576") int port,
			@DefaultValue("") String keyStore,
			@DefaultValue("PKCS12") String keyStoreType,
			@DefaultValue("") String keyStorePassword,
			@DefaultValue("") String keyPassword,
			@DefaultValue("") String keyAlias,
			@DefaultValue("") String trustStore,
			@DefaultValue("PKCS12") String trustStoreType,
			@DefaultValue("") String trustStorePassword,
			@DefaultValue("need") MllpServer.ClientAuth clientAuth,
			@DefaultValue({"TLSv1.3", "TLSv1.2"}) List<String> protocols,
			@DefaultValue Map<String, String> certificateSenders) {

		public Tls {
			clientAuth = clientAuth == null ? MllpServer.ClientAuth.NEED : clientAuth;
			protocols = protocols == null || protocols.isEmpty() ? MllpTls.DEFAULT_PROTOCOLS : List.copyOf(protocols);
			certificateSenders = certificateSenders == null ? Map.of() : Map.copyOf(certificateSenders);
			if (port < 0 || port > 65535) {
				throw new IllegalArgumentException("bonemarrow.v2.mllp.tls.port must be 0..65535");
			}
			if (enabled && (keyStore == null || keyStore.isBlank())) {
				throw new IllegalArgumentException("bonemarrow.v2.mllp.tls.key-store is needed: the listener's key and certificate");
			}
			if (enabled && clientAuth != MllpServer.ClientAuth.NONE && (trustStore == null || trustStore.isBlank())) {
				throw new IllegalArgumentException("bonemarrow.v2.mllp.tls.trust-store is needed with client-auth "
						+ clientAuth.name().toLowerCase() + ": the CA certificates that client certificates must chain to");
			}
			for (Map.Entry<String, String> e : certificateSenders.entrySet()) {
				MllpTls.CertificateBinding.parse(e.getValue(), "bonemarrow.v2.mllp.tls.certificate-senders." + e.getKey());
			}
		}

		public MllpTls.Stores stores() {
			return new MllpTls.Stores(keyStore, keyStoreType, keyStorePassword, keyPassword, keyAlias, trustStore,
					trustStoreType, trustStorePassword);
		}

		/** Passwords masked. */
		@Override
		public String toString() {
			return "Tls[enabled=" + enabled + ", port=" + port + ", " + stores() + ", clientAuth=" + clientAuth
					+ ", protocols=" + protocols + ", certificateSenders=" + certificateSenders + "]";
		}
	}

	/**
	 * What one inbound message may hold, checked on the raw text before HAPI parses it: HAPI builds an object
	 * per segment, field, component and repetition, and a few hundred KB of repetitions of a composite field
	 * (PID-3 is a CX of ten components) take hundreds of MB of heap. A message over a limit is answered AR 207.
	 *
	 * @param maxSegments    segments (10..100000); over MLLP also counted while the frame is read
	 * @param maxRepetitions field repetitions, all fields together (10..100000)
	 * @param maxSeparators  field, component and subcomponent separators, all segments together (1000..5000000)
	 */
	public record Limits(
			@DefaultValue("5000") int maxSegments,
			@DefaultValue("1000") int maxRepetitions,
			@DefaultValue("200000") int maxSeparators) {

		public Limits {
			if (maxSegments < 10 || maxSegments > 100_000) {
				throw new IllegalArgumentException("bonemarrow.v2.limits.max-segments must be 10..100000");
			}
			if (maxRepetitions < 10 || maxRepetitions > 100_000) {
				throw new IllegalArgumentException("bonemarrow.v2.limits.max-repetitions must be 10..100000");
			}
			if (maxSeparators < 1000 || maxSeparators > 5_000_000) {
				throw new IllegalArgumentException("bonemarrow.v2.limits.max-separators must be 1000..5000000");
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
	 * @param retries             no longer read: retries follow {@code bonemarrow.delivery} (start-up fails if set)
	 * @param backoffMillis       no longer read, as retries
	 * @param timeoutMillis       how long to wait for the receiver's ACK (1..600000)
	 * @param tls                 MLLP over TLS to this receiver
	 */
	public record Receiver(
			String id,
			String host,
			int port,
			@DefaultValue("") String receivingApplication,
			@DefaultValue("") String receivingFacility,
			@DefaultValue({"final", "corrected", "amended"}) List<String> statuses,
			Integer retries,
			Long backoffMillis,
			@DefaultValue("10000") long timeoutMillis,
			@DefaultValue ReceiverTls tls) {

		public Receiver {
			tls = tls == null ? new ReceiverTls(false, null, null, null, true, null, null, null, null, null, null) : tls;
		}
	}

	/**
	 * MLLP over TLS to one receiver ({@code bonemarrow.v2.receivers[n].tls}).
	 *
	 * @param enabled            connect with TLS
	 * @param trustStore         the CA (or the receiver's own) certificates its certificate must chain to; blank:
	 *                           the JDK's default CAs
	 * @param trustStoreType     PKCS12 | JKS
	 * @param trustStorePassword its password
	 * @param verifyHostname     the receiver's certificate must name {@code host} (DNS name or IP address in its
	 *                           subject alternative names); off only for peers known by an IP address their
	 *                           certificate does not carry
	 * @param keyStore           this server's client certificate and key, for a receiver that wants one; blank: none
	 * @param keyStoreType       PKCS12 | JKS
	 * @param keyStorePassword   its password
	 * @param keyPassword        the key's password when it differs from the store's
	 * @param keyAlias           the key to use when the store holds several
	 * @param protocols          TLS protocols offered
	 */
	public record ReceiverTls(
			@DefaultValue("false") boolean enabled,
			@DefaultValue("") String trustStore,
			@DefaultValue("PKCS12") String trustStoreType,
			@DefaultValue("") String trustStorePassword,
			@DefaultValue("true") boolean verifyHostname,
			@DefaultValue("") String keyStore,
			@DefaultValue("PKCS12") String keyStoreType,
			@DefaultValue("") String keyStorePassword,
			@DefaultValue("") String keyPassword,
			@DefaultValue("") String keyAlias,
			@DefaultValue({"TLSv1.3", "TLSv1.2"}) List<String> protocols) {

		public ReceiverTls {
			protocols = protocols == null || protocols.isEmpty() ? MllpTls.DEFAULT_PROTOCOLS : List.copyOf(protocols);
		}

		public MllpTls.Stores stores() {
			return new MllpTls.Stores(keyStore, keyStoreType, keyStorePassword, keyPassword, keyAlias, trustStore,
					trustStoreType, trustStorePassword);
		}

		/** Passwords masked. */
		@Override
		public String toString() {
			return "ReceiverTls[enabled=" + enabled + ", verifyHostname=" + verifyHostname + ", " + stores()
					+ ", protocols=" + protocols + "]";
		}
	}
}

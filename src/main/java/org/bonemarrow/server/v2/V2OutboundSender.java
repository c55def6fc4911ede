package org.bonemarrow.server.v2;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.app.Connection;
import ca.uhn.hl7v2.app.Initiator;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.model.v251.message.ORU_R01;
import ca.uhn.hl7v2.util.Terser;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.bonemarrow.server.delivery.Delivery;
import org.bonemarrow.server.delivery.DeliveryChannel;
import org.bonemarrow.server.fhir.ReportDocuments;
import org.bonemarrow.server.v2.OutboundResultMapper.Addressing;
import org.bonemarrow.server.v2.OutboundResultMapper.OutboundResult;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.Binary;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.PractitionerRole;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Specimen;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Results out over HL7 v2, the delivery: one attempt of one outbox row ({@link DeliveryChannel}). It builds the
 * ORU^R01 from the report <em>at the version that was queued</em>, with the delivery's identity as MSH-10
 * (the same on every retry and replay, so the receiver can recognise a repeat), sends it over MLLP with
 * HAPI's client ({@code HapiContext.newClient(host, port, false)}) and waits for the ACK: AA/CA is delivered;
 * no connection, a timeout or an AE/AR is a failure the outbox retries with its backoff
 * ({@code bonemarrow.delivery}). The outbox keeps the order: a report's next version waits until this one
 * is acknowledged. Logs name the receiver, the report id and the control id, never the content.
 *
 * <p>A receiver with {@code tls.enabled} is sent to over MLLP inside TLS ({@link MllpTlsClient}, one connection
 * per message), its certificate checked against its trust store and, unless turned off, its host name; this
 * server presents the client certificate of {@code tls.key-store} when one is set. A handshake that fails
 * (untrusted or expired certificate, another host's certificate) is a failed attempt like a refused connection:
 * retried, never counted as delivered, its reason in {@code $delivery-status}.
 */
@Component
public class V2OutboundSender implements DeliveryChannel, DisposableBean {

	private static final Logger LOG = LoggerFactory.getLogger(V2OutboundSender.class);

	private final V2Properties properties;
	private final DaoRegistry daos;
	private final HapiContext hapi;
	private final String serverAddress;
	/** Per TLS receiver id, read at start-up: a wrong store or password stops start-up, not the first delivery. */
	private final Map<String, MllpTlsClient> tlsClients;

	/**
	 * @param serverAddress this server's fixed base URL ({@code bonemarrow.fhir.server-address}): a presentedForm
	 *                      URL under it names a Binary stored here; empty, only {@code Binary/<id>} does
	 */
	public V2OutboundSender(V2Properties properties, DaoRegistry daos,
			@Value("${bonemarrow.fhir.server-address:}") String serverAddress) {
		this.properties = properties;
		this.daos = daos;
		this.hapi = V2Hapi.networkContext("v2-out-mllp");
		this.serverAddress = serverAddress == null ? "" : serverAddress.trim().replaceAll("/+$", "");
		this.tlsClients = new java.util.HashMap<>();
		for (V2Properties.Receiver r : properties.receivers()) {
			if (r.tls().enabled()) {
				String setting = "bonemarrow.v2.receivers[" + r.id() + "].tls";
				javax.net.ssl.SSLContext context = MllpTls.context(r.tls().stores(), setting);
				tlsClients.put(r.id(), new MllpTlsClient(context, MllpTls.protocols(r.tls().protocols(), context, setting),
						r.tls().verifyHostname()));
			}
		}
	}

	@Override
	public String name() {
		return HL7V2;
	}

	@Override
	public List<Receiver> receivers() {
		return properties.receivers().stream().map(r -> new Receiver(r.id(),
				(r.tls().enabled() ? "mllps://" : "mllp://") + r.host() + ":" + r.port())).toList();
	}

	/**
	 * Connecting (HAPI's client gives up on a connection after about 10 s) plus the longest ACK wait; over TLS
	 * the handshake may take as long again (its reads wait up to the same timeout).
	 */
	@Override
	public java.time.Duration longestAttempt() {
		long ack = properties.receivers().stream().mapToLong(r -> r.timeoutMillis() * (r.tls().enabled() ? 2 : 1))
				.max().orElse(0);
		return java.time.Duration.ofMillis(ack).plus(CONNECT_TIMEOUT);
	}

	@Override
	public Outcome attempt(Delivery delivery) {
		Optional<V2Properties.Receiver> receiver = properties.receivers().stream()
				.filter(r -> r.id().equals(delivery.receiver())).findFirst();
		if (receiver.isEmpty()) {
			// Kept, not dropped: configuring the receiver again delivers it within the retry window.
			return Outcome.failed("receiver not configured (bonemarrow.v2.receivers)");
		}
		ORU_R01 message;
		try {
			Optional<OutboundResult> result = load(new IdType(delivery.resource()));
			if (result.isEmpty()) {
				return Outcome.cancelled("report version no longer stored");
			}
			V2Properties.Receiver r = receiver.get();
			message = OutboundResultMapper.toOru(result.get(), new Addressing(properties.sendingApplication(),
					properties.sendingFacility(), r.receivingApplication(), r.receivingFacility(), delivery.messageId()), hapi);
		} catch (RuntimeException e) {
			return Outcome.failed("could not build the ORU^R01 (" + e.getClass().getSimpleName() + ")");
		}
		String failure = send(receiver.get(), message);
		return failure == null ? Outcome.delivered() : Outcome.failed(failure);
	}

	/** One attempt: null when acknowledged (AA/CA), else what went wrong (no content). */
	private String send(V2Properties.Receiver receiver, Message message) {
		MllpTlsClient tls = tlsClients.get(receiver.id());
		if (tls != null) {
			return sendOverTls(tls, receiver, message);
		}
		Connection connection = null;
		try {
			connection = hapi.newClient(receiver.host(), receiver.port(), false);
			Initiator initiator = connection.getInitiator();
			initiator.setTimeout(receiver.timeoutMillis(), TimeUnit.MILLISECONDS);
			Message ack = initiator.sendAndReceive(message);
			String code = new Terser(ack).get("/MSA-1");
			if ("AA".equals(code) || "CA".equals(code)) {
				return null;
			}
			return "ACK " + code;
		} catch (Exception e) {
			if (connection != null) {
				hapi.getConnectionHub().discard(connection);
			}
			return describe(e);
		}
	}

	/** Over TLS: the ACK must answer this message (MSA-2 = its MSH-10), as HAPI's initiator checks for plain MLLP. */
	static String sendOverTls(MllpTlsClient tls, V2Properties.Receiver receiver, Message message) {
		try {
			String controlId = new Terser(message).get("/MSH-10");
			String answer = tls.send(receiver.host(), receiver.port(), message.encode(), CONNECT_TIMEOUT,
					Duration.ofMillis(receiver.timeoutMillis()));
			Terser ack = new Terser(message.getParser().parse(answer));
			String code = ack.get("/MSA-1");
			if (controlId != null && !controlId.equals(ack.get("/MSA-2"))) {
				return "ACK for another message (MSA-2)";
			}
			return "AA".equals(code) || "CA".equals(code) ? null : "ACK " + code;
		} catch (Exception e) {
			return describe(e);
		}
	}

	/** As long as HAPI's client waits for a plain connection. */
	static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

	/** What failed, from the cause HAPI wraps (no connection, no ACK in time), never a message text. */
	static String describe(Throwable failure) {
		for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
			if (t instanceof javax.net.ssl.SSLException) {
				return "TLS: " + MllpTls.handshakeFailure(t);
			}
			if (t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException
					|| t instanceof java.net.NoRouteToHostException) {
				return "no connection (" + t.getClass().getSimpleName() + ")";
			}
			// HAPI's Initiator reports a missing ACK as an HL7Exception "Timeout waiting for response ...".
			if (t instanceof java.net.SocketTimeoutException || t instanceof java.util.concurrent.TimeoutException
					|| String.valueOf(t.getMessage()).startsWith("Timeout waiting for response")) {
				return "no ACK in time (" + t.getClass().getSimpleName() + ")";
			}
		}
		return failure.getClass().getSimpleName();
	}

	/** The report at that version with what the ORU^R01 carries: patient, order, results, specimens. */
	Optional<OutboundResult> load(IIdType reportVersion) {
		Optional<DiagnosticReport> report = read(DiagnosticReport.class, reportVersion);
		if (report.isEmpty()) {
			return Optional.empty();
		}
		DiagnosticReport r = report.get();
		List<Observation> observations = new ArrayList<>();
		for (Reference ref : r.getResult()) {
			read(Observation.class, ref.getReferenceElement()).ifPresent(observations::add);
		}
		List<Specimen> specimens = new ArrayList<>();
		for (Reference ref : r.getSpecimen()) {
			read(Specimen.class, ref.getReferenceElement()).ifPresent(specimens::add);
		}
		Patient patient = read(Patient.class, r.getSubject().getReferenceElement()).orElse(null);
		ServiceRequest order = r.getBasedOn().stream()
				.filter(b -> "ServiceRequest".equals(b.getReferenceElement().getResourceType()))
				.findFirst()
				.flatMap(b -> read(ServiceRequest.class, b.getReferenceElement()))
				.orElse(null);
		Practitioner orderer = order == null ? null : OutboundResultMapper.orderer(order.getRequester(), this::readPerson);
		return Optional.of(new OutboundResult(r, observations, patient, order, specimens, documents(r), orderer));
	}

	/** A Practitioner or PractitionerRole a requester names; null for any other type or when not stored. */
	private Resource readPerson(Reference ref) {
		IIdType id = ref.getReferenceElement();
		if ("Practitioner".equals(id.getResourceType())) {
			return read(Practitioner.class, id).orElse(null);
		}
		if ("PractitionerRole".equals(id.getResourceType())) {
			return read(PractitionerRole.class, id).orElse(null);
		}
		return null;
	}

	/**
	 * The report's presentedForm as the receiver gets it: inline data as it is; a Binary stored on this server
	 * ({@code Binary/<id>}, or a URL under {@code bonemarrow.fhir.server-address}) read and sent inline, since the
	 * receiver may have no way (or no right) to fetch it from us; any other absolute URL as a pointer. A Binary
	 * that is gone, or whose securityContext names another patient's resource, is left out (and logged without
	 * content): it is not this report's to send.
	 */
	List<Attachment> documents(DiagnosticReport report) {
		List<Attachment> out = new ArrayList<>();
		int n = 0;
		for (Attachment a : report.getPresentedForm()) {
			n++;
			if (a.hasData() || !a.hasUrl()) {
				if (a.hasData()) {
					out.add(a);
				}
				continue;
			}
			IIdType binaryId = localBinary(a.getUrl());
			if (binaryId == null) {
				if (V2Attachments.isHttpUrl(a.getUrl())) {
					out.add(a);
				} else {
					LOG.warn("v2 out: {} presentedForm[{}] has a URL that is neither a Binary of this server nor absolute; "
							+ "not sent", report.getIdElement().toUnqualified().getValue(), n - 1);
				}
				continue;
			}
			Optional<Binary> binary = read(Binary.class, binaryId);
			if (binary.isEmpty() || !binary.get().hasData() || !ReportDocuments.belongsTo(binary.get(), report)) {
				LOG.warn("v2 out: {} presentedForm[{}] names {}, which is not stored or not this report's; not sent",
						report.getIdElement().toUnqualified().getValue(), n - 1, binaryId.getValue());
				continue;
			}
			Attachment inline = a.copy();
			inline.setUrl(null);
			inline.setData(binary.get().getData());
			if (!inline.hasContentType()) {
				inline.setContentType(binary.get().getContentType());
			}
			out.add(inline);
		}
		return out;
	}

	/** {@code Binary/<id>} (relative, or absolute under this server's base) as an id; null for any other URL. */
	IIdType localBinary(String url) {
		return ReportDocuments.localBinary(url, serverAddress).orElse(null);
	}

	private <T extends IBaseResource> Optional<T> read(Class<T> type, IIdType id) {
		if (id == null || !id.hasIdPart()) {
			return Optional.empty();
		}
		try {
			IdType typed = new IdType(daos.getFhirContext().getResourceType(type), id.getIdPart(), id.getVersionIdPart());
			return Optional.of(daos.getResourceDao(type).read(typed, new SystemRequestDetails()));
		} catch (ResourceNotFoundException | ResourceGoneException e) {
			return Optional.empty();
		}
	}

	@Override
	public void destroy() {
		V2Hapi.closeNetworkContext(hapi);
	}
}

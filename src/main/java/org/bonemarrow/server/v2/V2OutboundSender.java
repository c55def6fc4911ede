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
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.bonemarrow.server.v2.OutboundResultMapper.Addressing;
import org.bonemarrow.server.v2.OutboundResultMapper.OutboundResult;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Specimen;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Results out over HL7 v2, the delivery: one queue and one thread per configured receiver, so each receiver
 * gets its reports in the order they were stored. A delivery builds the ORU^R01 once (one MSH-10 for all its
 * attempts, so the receiver can recognise a repeat), sends it over MLLP with HAPI's client
 * ({@code HapiContext.newClient(host, port, false)}) and waits for the ACK; no connection, a timeout or an
 * AE/AR is retried {@code retries} times, waiting {@code backoff-millis} and then twice as long each time.
 * The queue is in memory: deliveries still waiting when the server stops are lost (logged at start of
 * shutdown). Logs name the receiver, the report id and the control id, never the content.
 */
@Component
public class V2OutboundSender implements DisposableBean {

	private static final Logger log = LoggerFactory.getLogger(V2OutboundSender.class);
	private static final int REMEMBERED = 10_000;

	private final V2Properties properties;
	private final DaoRegistry daos;
	private final HapiContext hapi;
	private final Map<String, ExecutorService> queues = new LinkedHashMap<>();
	/** Report versions already queued: a version is queued once, whatever calls enqueue twice. */
	private final Set<String> queued = Collections.newSetFromMap(new LinkedHashMap<>() {
		@Override
		protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
			return size() > REMEMBERED;
		}
	});

	public V2OutboundSender(V2Properties properties, DaoRegistry daos) {
		this.properties = properties;
		this.daos = daos;
		this.hapi = V2Hapi.networkContext("v2-out-mllp");
		for (V2Properties.Receiver r : properties.receivers()) {
			queues.put(r.id(), Executors.newSingleThreadExecutor(task -> {
				Thread t = new Thread(task, "v2-out-" + r.id());
				t.setDaemon(true);
				return t;
			}));
		}
	}

	/** Queues the report version for each receiver that takes its status. */
	public void enqueue(IIdType reportVersion, String status) {
		synchronized (queued) {
			if (!queued.add(reportVersion.getValue())) {
				return;
			}
		}
		for (V2Properties.Receiver receiver : properties.receivers()) {
			if (receiver.statuses().contains(status)) {
				queues.get(receiver.id()).execute(() -> deliver(receiver, reportVersion));
			}
		}
	}

	private void deliver(V2Properties.Receiver receiver, IIdType reportVersion) {
		String report = reportVersion.toUnqualifiedVersionless().getValue();
		ORU_R01 message;
		String controlId;
		try {
			controlId = V2Hapi.ControlIds.INSTANCE.getID();
			Optional<OutboundResult> result = load(reportVersion);
			if (result.isEmpty()) {
				log.warn("HL7 v2 result to {}: {} no longer readable, not sent", receiver.id(), report);
				return;
			}
			message = OutboundResultMapper.toOru(result.get(), new Addressing(properties.sendingApplication(),
					properties.sendingFacility(), receiver.receivingApplication(), receiver.receivingFacility(), controlId), hapi);
		} catch (RuntimeException e) {
			log.warn("HL7 v2 result to {}: {} could not be turned into an ORU^R01 ({}), not sent", receiver.id(), report,
					e.getClass().getName());
			return;
		}
		long wait = receiver.backoffMillis();
		for (int attempt = 1; attempt <= receiver.retries() + 1; attempt++) {
			String outcome = send(receiver, message);
			if (outcome == null) {
				log.info("HL7 v2 ORU^R01 {} for {} delivered to {} (attempt {})", controlId, report, receiver.id(), attempt);
				return;
			}
			log.warn("HL7 v2 ORU^R01 {} for {} to {}: attempt {} failed ({})", controlId, report, receiver.id(), attempt, outcome);
			if (attempt <= receiver.retries()) {
				try {
					TimeUnit.MILLISECONDS.sleep(wait);
				} catch (InterruptedException e) {
					Thread.currentThread().interrupt();
					log.warn("HL7 v2 ORU^R01 {} for {} to {}: shutting down, not sent", controlId, report, receiver.id());
					return;
				}
				wait = Math.min(wait * 2, TimeUnit.MINUTES.toMillis(10));
			}
		}
		log.error("HL7 v2 ORU^R01 {} for {} to {}: gave up after {} attempts", controlId, report, receiver.id(),
				receiver.retries() + 1);
	}

	/** One attempt: null when acknowledged (AA/CA), else what went wrong (no content). */
	private String send(V2Properties.Receiver receiver, Message message) {
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
			return e.getClass().getSimpleName();
		}
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
		return Optional.of(new OutboundResult(r, observations, patient, order, specimens));
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
		queues.values().forEach(q -> {
			List<Runnable> waiting = q.shutdownNow();
			if (!waiting.isEmpty()) {
				log.warn("HL7 v2: {} result deliveries still queued at shutdown are dropped", waiting.size());
			}
		});
		V2Hapi.closeNetworkContext(hapi);
	}
}

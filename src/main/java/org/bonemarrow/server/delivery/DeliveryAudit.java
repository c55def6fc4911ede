package org.bonemarrow.server.delivery;

import ca.uhn.fhir.storage.interceptor.balp.IBalpAuditEventSink;
import java.util.Date;
import org.bonemarrow.server.security.audit.AuditEvents;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAction;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventOutcome;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Reference;

/**
 * The audit trail's record of results leaving the server and of people re-sending them: a delivery that
 * was acknowledged, one that became a dead letter, and each replay or resend with the client that asked.
 * DICOM audit event 110106 "Export" (data sent out of the system, http://dicom.nema.org/resources/ontology/DCM,
 * as IHE ATNA uses it); the receiver is the destination agent; the entity is the resource version, named
 * by the delivery's identity (MSH-10 for HL7 v2). Ids only, never content. Written through the same sink
 * as every other event (the server's audit trail), or nowhere when auditing is off (stock mode).
 */
public class DeliveryAudit {

	private static final String DCM = "http://dicom.nema.org/resources/ontology/DCM";
	private static final Coding EXPORT = new Coding(DCM, "110106", "Export");
	private static final Coding REST = new Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest",
			"Restful Operation");
	private static final Coding OPERATION = new Coding("http://hl7.org/fhir/restful-interaction", "operation", "operation");
	private static final String OBSERVER = AuditEvents.OBSERVER;

	private final IBalpAuditEventSink sink;

	/** @param sink where events go; null when auditing is off */
	public DeliveryAudit(IBalpAuditEventSink sink) {
		this.sink = sink;
	}

	void delivered(Delivery d) {
		record(export(d, AuditEventOutcome._0, null));
	}

	void deadLetter(Delivery d, String error) {
		record(export(d, AuditEventOutcome._8, "dead letter: " + error));
	}

	/** An operator's replay or resend. */
	void requested(String operation, String clientId, Delivery d) {
		AuditEvent event = new AuditEvent();
		event.setType(REST.copy());
		event.addSubtype(OPERATION.copy()).addSubtype(new Coding(null, operation, operation));
		event.setAction(AuditEventAction.E);
		event.setRecorded(new Date());
		event.setOutcome(AuditEventOutcome._0);
		event.setOutcomeDesc(operation + " queued " + d.messageId() + " for " + d.channel() + " " + d.receiver());
		// The client named the way every other event of the audit trail names it.
		event.addAgent().setRequestor(true).setName(clientId == null ? "unauthenticated" : clientId)
				.setWho(clientId == null ? new Reference().setDisplay("unauthenticated") : AuditEvents.client(clientId));
		destination(event, d);
		event.getSource().setObserver(new Reference().setDisplay(OBSERVER));
		entity(event, d);
		record(event);
	}

	static AuditEvent export(Delivery d, AuditEventOutcome outcome, String description) {
		AuditEvent event = new AuditEvent();
		event.setType(EXPORT.copy());
		event.setAction(AuditEventAction.R);
		event.setRecorded(new Date());
		event.setOutcome(outcome);
		event.setOutcomeDesc(description);
		event.addAgent().setRequestor(false).setName(OBSERVER).setWho(new Reference().setDisplay(OBSERVER));
		destination(event, d);
		event.getSource().setObserver(new Reference().setDisplay(OBSERVER));
		entity(event, d);
		return event;
	}

	private static void destination(AuditEvent event, Delivery d) {
		String who = DeliveryChannel.REST_HOOK.equals(d.channel()) ? "Subscription/" + d.receiver()
				: DeliveryChannel.HL7V2 + "/" + d.receiver();
		AuditEvent.AuditEventAgentComponent agent = event.addAgent().setRequestor(false).setName(who);
		// A display, not a reference: the Subscription may be deleted by the time the event is stored.
		agent.setWho(new Reference().setDisplay(who));
		// DICOM role 110152 "Destination Role ID".
		agent.getType().addCoding(new Coding(DCM, "110152", "Destination Role ID"));
	}

	/** Versionless, so {@code AuditEvent?entity=DiagnosticReport/12} finds it; the version is in the description. */
	private static void entity(AuditEvent event, Delivery d) {
		int history = d.resource().indexOf("/_history/");
		event.addEntity().setWhat(new Reference(d.resource().substring(0, history))).setName(d.messageId())
				.setDescription("version " + d.resource().substring(history + "/_history/".length()));
	}

	private void record(AuditEvent event) {
		if (sink != null) {
			sink.recordAuditEvent(event);
		}
	}
}

package org.bonemarrow.server.console;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Date;
import org.bonemarrow.server.delivery.Delivery;
import org.bonemarrow.server.delivery.DeliveryChannel;
import org.bonemarrow.server.delivery.DeliveryOperations;
import org.bonemarrow.server.security.audit.AuditEvents;
import org.bonemarrow.server.security.audit.AuditTrail;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAction;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventOutcome;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/**
 * The audit trail's record of what a person did in the console: a replay pressed, an audit trail searched.
 * Written through {@link AuditTrail} like every other event (nowhere when auditing is off, in stock mode).
 * <ul>
 *   <li>The agent is the signed-in console user (requestor), identified in {@value #CONSOLE_USER_SYSTEM} and
 *       named in {@code agent.name} (so {@code AuditEvent?agent-name:exact=<user>} finds it), with the
 *       console roles held ({@value #CONSOLE_ROLE_SYSTEM}) as {@code agent.role}. Not an OAuth client: the
 *       console signs people in, and their actions are theirs, not a client's.</li>
 *   <li>A replay is DICOM 110106 "Export" (http://dicom.nema.org/resources/ontology/DCM, DICOM PS3.15 A.5.3.4):
 *       the person who asked for data to leave the system, the receiver as destination (DCM 110152
 *       "Destination Role ID"), the resource as the entity, named by the delivery's identity, as
 *       {@code delivery.DeliveryAudit} records the export itself once the receiver acknowledges it.</li>
 *   <li>An audit search is DICOM 110112 "Query" (DICOM PS3.15 A.5.3.10): the criteria as a query entity
 *       (audit-entity-type 2 System Object, object role 24 Query, as IHE BALP records queries), and a patient
 *       searched for as an entity of role 1 Patient, so the patient's own audit trail shows who looked. The
 *       criteria are references, codes and dates only: never a patient's name.</li>
 * </ul>
 * Carries ids and codes only; nothing here is logged.
 */
@Component
public class ConsoleAudit {

	/** Identifier system of console users (the embedded authorization server's user names, or the OpenID subject's). */
	public static final String CONSOLE_USER_SYSTEM = "https://bonemarrow-exam.example/fhir/sid/console-user";
	/** The console roles (lab-manager, integration-engineer, auditor). */
	public static final String CONSOLE_ROLE_SYSTEM = "https://bonemarrow-exam.example/fhir/CodeSystem/console-role";
	/** What was done in the console, as a subtype: {@code replay}, {@code audit-search}. */
	public static final String CONSOLE_ACTION_SYSTEM = "https://bonemarrow-exam.example/fhir/CodeSystem/console-action";

	private static final String DCM = "http://dicom.nema.org/resources/ontology/DCM";
	private static final Coding EXPORT = new Coding(DCM, "110106", "Export");
	private static final Coding QUERY = new Coding(DCM, "110112", "Query");
	// http://terminology.hl7.org/CodeSystem/audit-entity-type and object-role, as BALP's query events use them.
	private static final Coding SYSTEM_OBJECT = new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2",
			"System Object");
	private static final Coding PERSON = new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person");
	private static final Coding QUERY_ROLE = new Coding("http://terminology.hl7.org/CodeSystem/object-role", "24", "Query");
	private static final Coding PATIENT_ROLE = new Coding("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient");

	private final ObjectProvider<AuditTrail> trail;

	public ConsoleAudit(ObjectProvider<AuditTrail> trail) {
		this.trail = trail;
	}

	/**
	 * A replay pressed in the console.
	 *
	 * @param delivery the delivery replayed, or null when the id named none
	 * @param refusal  why nothing was replayed (not a dead letter, no such delivery), or null when it was
	 */
	public void replayed(String user, Collection<String> roles, String deliveryId, Delivery delivery, String refusal) {
		AuditEvent event = new AuditEvent();
		event.setType(EXPORT.copy());
		event.addSubtype(new Coding(CONSOLE_ACTION_SYSTEM, "replay", "replay from the console"));
		event.setAction(AuditEventAction.E);
		event.setRecorded(new Date());
		event.setOutcome(refusal == null ? AuditEventOutcome._0 : AuditEventOutcome._4);
		event.setOutcomeDesc(refusal == null
				? "replay requested in the console: " + delivery.messageId() + " queued again for "
						+ DeliveryOperations.receiverName(delivery.channel(), delivery.receiver())
				: "replay of " + deliveryId + " refused: " + refusal);
		user(event, user, roles);
		if (delivery != null) {
			String who = DeliveryOperations.receiverName(delivery.channel(), delivery.receiver());
			AuditEvent.AuditEventAgentComponent destination = event.addAgent().setRequestor(false).setName(who);
			// A display, not a reference: the Subscription may be deleted by the time the event is stored.
			destination.setWho(new Reference().setDisplay(who));
			destination.getType().addCoding(new Coding(DCM, "110152", "Destination Role ID"));
			int history = delivery.resource().indexOf("/_history/");
			String versionless = history < 0 ? delivery.resource() : delivery.resource().substring(0, history);
			event.addEntity().setWhat(new Reference(versionless)).setName(delivery.messageId())
					.setDescription(history < 0 ? null : "version " + delivery.resource().substring(history + 10)
							+ (DeliveryChannel.HL7V2.equals(delivery.channel()) ? " (HL7 v2 ORU^R01)" : ""));
		}
		record(event);
	}

	/**
	 * An audit trail search run in the console.
	 *
	 * @param criteria the search as a query string ({@code patient=Patient/12&outcome=4}); references, codes
	 *                 and dates only
	 * @param patient  the patient searched for ({@code Patient/<id>}), or null
	 * @param found    how many events the page showed
	 */
	public void searched(String user, Collection<String> roles, String criteria, String patient, int found) {
		AuditEvent event = new AuditEvent();
		event.setType(QUERY.copy());
		event.addSubtype(new Coding(CONSOLE_ACTION_SYSTEM, "audit-search", "audit trail search in the console"));
		event.setAction(AuditEventAction.E);
		event.setRecorded(new Date());
		event.setOutcome(AuditEventOutcome._0);
		event.setOutcomeDesc("audit trail searched in the console: " + found + " event(s) shown");
		user(event, user, roles);
		AuditEvent.AuditEventEntityComponent query = event.addEntity();
		query.setType(SYSTEM_OBJECT.copy()).setRole(QUERY_ROLE.copy())
				.setWhat(new Reference().setDisplay("AuditEvent search"))
				.setDescription(criteria.isEmpty() ? "(no criteria)" : criteria)
				.setQuery(("AuditEvent?" + criteria).getBytes(StandardCharsets.UTF_8));
		if (patient != null) {
			event.addEntity().setType(PERSON.copy()).setRole(PATIENT_ROLE.copy()).setWhat(new Reference(patient));
		}
		record(event);
	}

	static void user(AuditEvent event, String user, Collection<String> roles) {
		String name = user == null || user.isBlank() ? "unknown console user" : user;
		AuditEvent.AuditEventAgentComponent agent = event.addAgent().setRequestor(true).setName(name)
				.setWho(new Reference().setIdentifier(new Identifier().setSystem(CONSOLE_USER_SYSTEM).setValue(name))
						.setDisplay(name + " (console user)"));
		for (String role : roles) {
			agent.addRole().addCoding(new Coding(CONSOLE_ROLE_SYSTEM, role, role));
		}
		event.getSource().setObserver(new Reference().setDisplay(AuditEvents.OBSERVER));
	}

	private void record(AuditEvent event) {
		trail.ifAvailable(t -> t.recordAuditEvent(event));
	}
}

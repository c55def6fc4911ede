package org.bonemarrow.server.adapter;

import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Task;

/**
 * Pure mappings from an exam order to the records the adapter makes for it (FHIR workflow pattern:
 * the order is fulfilled by a Task, the act itself is a Procedure basedOn the order).
 */
public final class OrderTranslator {

	public static final String PROCEDURE_PROFILE =
			"https://bonemarrow-exam.example/fhir/StructureDefinition/bme-exam-procedure";
	/** Task.code: FHIR's own task code for "fulfil the focal request". */
	public static final String TASK_CODE_SYSTEM = "http://hl7.org/fhir/CodeSystem/task-code";

	private OrderTranslator() {}

	/**
	 * The Procedure the performing service will fill in: status preparation, basedOn the order, with the
	 * order's subject, code, body site and encounter (US Core ServiceRequest.encounter, must-support: the
	 * visit the exam belongs to). Nothing else is copied: performer, performed time and follow-up are facts
	 * of the procedure, not of the order (and bme-proc-1 requires them only once completed).
	 */
	public static Procedure procedureFor(ServiceRequest order, String orderRef) {
		Procedure p = new Procedure();
		p.getMeta().addProfile(PROCEDURE_PROFILE);
		p.setStatus(Procedure.ProcedureStatus.PREPARATION);
		p.addBasedOn(new Reference(orderRef));
		p.setSubject(order.getSubject().copy());
		p.setCode(order.getCode().copy());
		for (CodeableConcept site : order.getBodySite()) {
			p.addBodySite(site.copy());
		}
		if (order.hasEncounter()) {
			p.setEncounter(order.getEncounter().copy());
		}
		return p;
	}

	/**
	 * The Task for the performing service: requested, focus the order, for the order's patient, in the
	 * order's encounter, owned by the order's first performer when there is one (otherwise the service picks
	 * it up unassigned), requested by the orderer. Requester and performer are copied as they are: a
	 * Practitioner, or a PractitionerRole as US Core sends them (both are allowed targets of Task.requester
	 * and Task.owner); the orderer is who the result goes back to (Task.requester, and ORC-12/OBR-16 of
	 * the outbound HL7 v2 result).
	 */
	public static Task taskFor(ServiceRequest order, String orderRef) {
		Task t = new Task();
		t.setStatus(Task.TaskStatus.REQUESTED);
		t.setIntent(Task.TaskIntent.ORDER);
		t.setCode(new CodeableConcept().addCoding(
				new org.hl7.fhir.r4.model.Coding(TASK_CODE_SYSTEM, "fulfill", "Fulfill the focal request")));
		t.setFocus(new Reference(orderRef));
		t.addBasedOn(new Reference(orderRef));
		t.setFor(order.getSubject().copy());
		if (order.hasEncounter()) {
			t.setEncounter(order.getEncounter().copy());
		}
		if (order.hasAuthoredOn()) {
			t.setAuthoredOnElement(order.getAuthoredOnElement().copy());
		}
		if (order.hasRequester()) {
			t.setRequester(order.getRequester().copy());
		}
		if (order.hasPerformer()) {
			t.setOwner(order.getPerformerFirstRep().copy());
		}
		return t;
	}
}

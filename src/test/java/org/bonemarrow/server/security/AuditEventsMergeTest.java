package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.bonemarrow.server.security.audit.AuditEvents;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAction;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.Test;

/** One transaction's audit events become one per interaction and writer, still naming every resource. */
class AuditEventsMergeTest {

	// Shaped as HAPI's BALP interceptor records a create: IHE BALP profile, rest/create, client agent,
	// the data entity (role 4, domain resource) and the patient entity (role 1).
	private static final String BALP_PATIENT_CREATE =
			"https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientCreate";

	@Test
	void theClientsCreatesInOneTransaction_becomeOneEventNamingEachResourceOnce() {
		List<AuditEvent> merged = AuditEvents.onePerInteraction(List.of(
				create("ehr", "ServiceRequest/10/_history/1", "Patient/1/_history/1"),
				create("ehr", "Specimen/11/_history/1", "Patient/1/_history/1"),
				create("ehr", "Observation/12/_history/1", "Patient/1/_history/1")));

		assertThat(merged).hasSize(1);
		assertThat(merged.get(0).getEntity()).extracting(e -> e.getWhat().getReference()).containsExactly(
				"ServiceRequest/10/_history/1", "Patient/1/_history/1", "Specimen/11/_history/1",
				"Observation/12/_history/1");
		// BALP's profiles allow one data entity: a merged event must not claim them.
		assertThat(merged.get(0).getMeta().getProfile()).isEmpty();
		assertThat(merged.get(0).getAgent()).extracting(AuditEvent.AuditEventAgentComponent::getName).containsExactly("ehr");
	}

	@Test
	void theAdaptersWrites_andUpdates_stayApartFromTheClientsCreates() {
		AuditEvent byAdapter = create("ehr", "Task/21/_history/1", "Patient/1/_history/1");
		AuditEvents.addAdapterAgent(byAdapter, "order-creates-procedure-and-task");
		AuditEvent alsoByAdapter = create("ehr", "Procedure/22/_history/1", "Patient/1/_history/1");
		AuditEvents.addAdapterAgent(alsoByAdapter, "order-creates-procedure-and-task");
		AuditEvent update = create("ehr", "ServiceRequest/10/_history/2", "Patient/1/_history/1");
		update.setAction(AuditEventAction.U).getSubtypeFirstRep().setCode("update");

		List<AuditEvent> merged = AuditEvents.onePerInteraction(List.of(
				create("ehr", "ServiceRequest/10/_history/1", "Patient/1/_history/1"), byAdapter, alsoByAdapter, update));

		assertThat(merged).hasSize(3);
		assertThat(merged.get(1).getAgent()).extracting(AuditEvent.AuditEventAgentComponent::getName)
				.containsExactly("ehr", "adapter:order-creates-procedure-and-task");
		assertThat(merged.get(1).getEntity()).extracting(e -> e.getWhat().getReference())
				.containsExactly("Task/21/_history/1", "Patient/1/_history/1", "Procedure/22/_history/1");
		assertThat(merged.get(2).getAction()).isEqualTo(AuditEventAction.U);
	}

	@Test
	void differentClientsOrOutcomesAreNeverMerged() {
		AuditEvent failed = create("ehr", "Observation/13/_history/1", "Patient/1/_history/1");
		failed.setOutcome(AuditEvent.AuditEventOutcome._4);
		assertThat(AuditEvents.onePerInteraction(List.of(
				create("ehr", "Observation/12/_history/1", "Patient/1/_history/1"),
				create("lab", "Observation/14/_history/1", "Patient/1/_history/1"),
				failed))).hasSize(3);
	}

	@Test
	void aLoneEventIsPassedOnUnchanged() {
		AuditEvent lone = create("ehr", "Patient/1/_history/1", "Patient/1/_history/1");
		AuditEvent copy = lone.copy();
		List<AuditEvent> merged = AuditEvents.onePerInteraction(List.of(lone));
		assertThat(merged).hasSize(1);
		assertThat(merged.get(0).equalsDeep(copy)).isTrue();
		assertThat(merged.get(0).getMeta().getProfile()).extracting(p -> p.getValue()).containsExactly(BALP_PATIENT_CREATE);
	}

	private static AuditEvent create(String client, String what, String patient) {
		AuditEvent event = new AuditEvent();
		event.getMeta().addProfile(BALP_PATIENT_CREATE);
		event.setType(new Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "Restful Operation"));
		event.addSubtype(new Coding("http://hl7.org/fhir/restful-interaction", "create", "create"));
		event.setAction(AuditEventAction.C);
		event.setOutcome(AuditEvent.AuditEventOutcome._0);
		event.addAgent().setRequestor(true).setWho(AuditEvents.client(client)).setName(client);
		event.addEntity().setWhat(new Reference(what))
				.setType(new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"))
				.setRole(new Coding("http://terminology.hl7.org/CodeSystem/object-role", "4", "Domain Resource"));
		event.addEntity().setWhat(new Reference(patient))
				.setType(new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person"))
				.setRole(new Coding("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient"));
		return event;
	}
}

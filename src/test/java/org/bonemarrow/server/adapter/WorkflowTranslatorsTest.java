package org.bonemarrow.server.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DiagnosticReport.DiagnosticReportStatus;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Specimen;
import org.hl7.fhir.r4.model.Subscription;
import org.hl7.fhir.r4.model.Task;
import org.junit.jupiter.api.Test;

/** The adapter's pure mappings and status rules, without a server. */
class WorkflowTranslatorsTest {

	static ServiceRequest order() {
		ServiceRequest sr = new ServiceRequest();
		sr.setId("ServiceRequest/7");
		sr.setStatus(ServiceRequest.ServiceRequestStatus.ACTIVE);
		sr.setIntent(ServiceRequest.ServiceRequestIntent.ORDER);
		sr.setCode(new CodeableConcept(new Coding("https://bonemarrow-exam.example/fhir/CodeSystem/bme-exam", "aspiration-and-trephine", null)));
		sr.setSubject(new Reference("Patient/1"));
		sr.addPerformer(new Reference("Practitioner/2"));
		sr.setRequester(new Reference("Practitioner/3"));
		sr.addBodySite(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/v2-0550", "ILCR", null)));
		return sr;
	}

	@Test
	void orderToProcedure_preparation_basedOnOrder_withSubjectCodeAndBodySite_claimingOurProfile() {
		Procedure p = OrderTranslator.procedureFor(order(), "ServiceRequest/7");
		assertThat(p.getStatus()).isEqualTo(Procedure.ProcedureStatus.PREPARATION);
		assertThat(p.getBasedOnFirstRep().getReference()).isEqualTo("ServiceRequest/7");
		assertThat(p.getSubject().getReference()).isEqualTo("Patient/1");
		assertThat(p.getCode().getCodingFirstRep().getCode()).isEqualTo("aspiration-and-trephine");
		assertThat(p.getBodySiteFirstRep().getCodingFirstRep().getCode()).isEqualTo("ILCR");
		assertThat(p.getMeta().hasProfile(OrderTranslator.PROCEDURE_PROFILE)).isTrue();
		assertThat(p.hasPerformed()).isFalse();
	}

	@Test
	void orderToTask_requested_focusOrder_forPatient_ownerFromPerformer() {
		Task t = OrderTranslator.taskFor(order(), "ServiceRequest/7");
		assertThat(t.getStatus()).isEqualTo(Task.TaskStatus.REQUESTED);
		assertThat(t.getIntent()).isEqualTo(Task.TaskIntent.ORDER);
		assertThat(t.getFocus().getReference()).isEqualTo("ServiceRequest/7");
		assertThat(t.getFor().getReference()).isEqualTo("Patient/1");
		assertThat(t.getOwner().getReference()).isEqualTo("Practitioner/2");
		ServiceRequest noPerformer = order();
		noPerformer.getPerformer().clear();
		assertThat(OrderTranslator.taskFor(noPerformer, "ServiceRequest/7").hasOwner()).isFalse();
	}

	@Test
	void usCoreShapedOrder_practitionerRoleRequesterAndPerformer_andEncounter_reachTaskAndProcedure() {
		ServiceRequest usCore = order();
		usCore.setRequester(new Reference("PractitionerRole/31"));
		usCore.getPerformer().clear();
		usCore.addPerformer(new Reference("PractitionerRole/32"));
		usCore.setEncounter(new Reference("Encounter/40"));

		Task t = OrderTranslator.taskFor(usCore, "ServiceRequest/7");
		Procedure p = OrderTranslator.procedureFor(usCore, "ServiceRequest/7");

		assertThat(t.getRequester().getReference()).isEqualTo("PractitionerRole/31");
		assertThat(t.getOwner().getReference()).isEqualTo("PractitionerRole/32");
		assertThat(t.getEncounter().getReference()).isEqualTo("Encounter/40");
		assertThat(p.getEncounter().getReference()).isEqualTo("Encounter/40");
		assertThat(OrderTranslator.procedureFor(order(), "ServiceRequest/7").hasEncounter()).isFalse();
	}

	@Test
	void reportStatus_movesTaskAndOrder() {
		assertThat(ReportStatusTranslator.taskStatusFor(DiagnosticReportStatus.PRELIMINARY)).contains(Task.TaskStatus.INPROGRESS);
		assertThat(ReportStatusTranslator.taskStatusFor(DiagnosticReportStatus.FINAL)).contains(Task.TaskStatus.COMPLETED);
		assertThat(ReportStatusTranslator.taskStatusFor(DiagnosticReportStatus.CANCELLED)).isEmpty();
		assertThat(ReportStatusTranslator.orderStatusFor(DiagnosticReportStatus.FINAL)).contains(ServiceRequest.ServiceRequestStatus.COMPLETED);
		assertThat(ReportStatusTranslator.orderStatusFor(DiagnosticReportStatus.PRELIMINARY)).isEmpty();
		assertThat(ReportStatusTranslator.isAmendment(DiagnosticReportStatus.CORRECTED)).isTrue();
		assertThat(ReportStatusTranslator.isAmendment(DiagnosticReportStatus.FINAL)).isFalse();
		// Only forwards: a late preliminary report does not reopen a completed Task.
		assertThat(ReportStatusTranslator.shouldMoveTask(Task.TaskStatus.COMPLETED, Task.TaskStatus.INPROGRESS)).isFalse();
		assertThat(ReportStatusTranslator.shouldMoveTask(Task.TaskStatus.REQUESTED, Task.TaskStatus.INPROGRESS)).isTrue();
		assertThat(ReportStatusTranslator.shouldMoveTask(Task.TaskStatus.INPROGRESS, Task.TaskStatus.INPROGRESS)).isFalse();
	}

	@Test
	void stateMachines_allowForwardMoves_refuseReopening() {
		assertThat(StatusTransitions.isAllowed("ServiceRequest", "active", "completed")).isTrue();
		assertThat(StatusTransitions.isAllowed("ServiceRequest", "revoked", "active")).isFalse();
		assertThat(StatusTransitions.isAllowed("ServiceRequest", "completed", "active")).isFalse();
		assertThat(StatusTransitions.isAllowed("Procedure", "preparation", "not-done")).isTrue();
		assertThat(StatusTransitions.isAllowed("Procedure", "completed", "in-progress")).isFalse();
		assertThat(StatusTransitions.isAllowed("Task", "cancelled", "in-progress")).isFalse();
		assertThat(StatusTransitions.isAllowed("DiagnosticReport", "final", "preliminary")).isFalse();
		assertThat(StatusTransitions.isAllowed("DiagnosticReport", "final", "amended")).isTrue();
		assertThat(StatusTransitions.isAllowed("Patient", "x", "y")).isTrue();
		assertThat(StatusTransitions.isTerminalTask("completed")).isTrue();
		assertThat(StatusTransitions.isTerminalTask("in-progress")).isFalse();
	}

	@Test
	void reportRefusals_nameTheReason() {
		ServiceRequest o = order();
		assertThat(ReportUpdatesOrderAndTask.refusal(o, false, DiagnosticReportStatus.FINAL, true)).isEmpty();
		o.setStatus(ServiceRequest.ServiceRequestStatus.REVOKED);
		assertThat(ReportUpdatesOrderAndTask.refusal(o, false, DiagnosticReportStatus.FINAL, true)).get().asString().contains("revoked");
		o.setStatus(ServiceRequest.ServiceRequestStatus.COMPLETED);
		assertThat(ReportUpdatesOrderAndTask.refusal(o, true, DiagnosticReportStatus.FINAL, true)).get().asString().contains("completed and closed");
		assertThat(ReportUpdatesOrderAndTask.refusal(o, true, DiagnosticReportStatus.AMENDED, true)).isEmpty();
		assertThat(ReportUpdatesOrderAndTask.refusal(o, false, DiagnosticReportStatus.FINAL, true)).isEmpty();
	}

	@Test
	void revocation_notDoneBeforeStart_stoppedWhenUnderway_nothingWhenFinished() {
		assertThat(OrderCancellationRule.procedureStatusOnRevoke(Procedure.ProcedureStatus.PREPARATION)).contains(Procedure.ProcedureStatus.NOTDONE);
		assertThat(OrderCancellationRule.procedureStatusOnRevoke(Procedure.ProcedureStatus.INPROGRESS)).contains(Procedure.ProcedureStatus.STOPPED);
		assertThat(OrderCancellationRule.procedureStatusOnRevoke(Procedure.ProcedureStatus.NOTDONE)).isEmpty();
		ServiceRequest old = order();
		ServiceRequest revoked = order().setStatus(ServiceRequest.ServiceRequestStatus.REVOKED);
		assertThat(OrderCancellationRule.isRevocation(old, revoked)).isTrue();
		assertThat(OrderCancellationRule.isRevocation(revoked, revoked)).isFalse();
	}

	@Test
	void specimenAndStartedProcedure_nameTheirOrders() {
		Specimen s = new Specimen();
		s.addRequest(new Reference("ServiceRequest/7"));
		assertThat(SpecimenCollectionStartsTask.ordersStartedBy(s)).extracting(x -> x.getValue()).containsExactly("ServiceRequest/7");
		Procedure p = OrderTranslator.procedureFor(order(), "ServiceRequest/7");
		assertThat(SpecimenCollectionStartsTask.ordersStartedBy(p)).isEmpty();
		p.setStatus(Procedure.ProcedureStatus.INPROGRESS);
		assertThat(SpecimenCollectionStartsTask.ordersStartedBy(p)).hasSize(1);
	}

	@Test
	void provenance_namesRuleTriggerAndAdapter() {
		Provenance p = AdapterProvenance.of(new IdType("Task/5/_history/2"), "SomeRule", "why", new IdType("ServiceRequest/7/_history/1"));
		assertThat(p.getTargetFirstRep().getReference()).isEqualTo("Task/5/_history/2");
		assertThat(p.getActivity().getCodingFirstRep().getCode()).isEqualTo("SomeRule");
		assertThat(p.getEntityFirstRep().getWhat().getReference()).isEqualTo("ServiceRequest/7");
		assertThat(p.getAgentFirstRep().getWho().getIdentifier().getValue()).isEqualTo(AdapterProvenance.ADAPTER_ID);
	}

	@Test
	void refusal_outcomeNamesTheRule() {
		var e = AdapterRefusal.conflict("OrderCancellationRule", "procedure done");
		assertThat(e.getStatusCode()).isEqualTo(409);
		assertThat(AdapterRefusal.ruleOf(e)).isEqualTo("OrderCancellationRule");
		assertThat(AdapterRefusal.unprocessable("R", "m").getStatusCode()).isEqualTo(422);
	}

	@Test
	void configuredReceiver_becomesRestHookSubscriptionWithRetries() {
		Subscription s = ResultNotificationReceivers.subscriptionFor(new NotificationProperties.Receiver(
				"ward-ehr", "https://ehr.example/fhir", java.util.List.of("Authorization: Bearer x"),
				"DiagnosticReport?status=final", "application/fhir+json"), 4);
		assertThat(s.getIdElement().getIdPart()).isEqualTo("bme-receiver-ward-ehr");
		// HAPI accepts a new Subscription only as requested; it activates it (and the server waits for that).
		assertThat(s.getStatus()).isEqualTo(Subscription.SubscriptionStatus.REQUESTED);
		assertThat(s.getChannel().getType()).isEqualTo(Subscription.SubscriptionChannelType.RESTHOOK);
		assertThat(s.getChannel().getHeader()).extracting(h -> h.getValue()).containsExactly("Authorization: Bearer x");
		assertThat(s.getChannel().getExtensionByUrl(ca.uhn.fhir.util.HapiExtensions.EX_RETRY_COUNT).getValue().primitiveValue()).isEqualTo("4");
	}

	/** ExamOrders copies the codes of ValueSet bme-exam-codes; this keeps the copy honest. */
	@Test
	void examCodes_matchThePackageValueSet() throws Exception {
		JsonNode vs = new ObjectMapper().readTree(Path.of("fhir-profiles/ValueSet-bme-exam-codes.json").toFile());
		Set<String> codes = new HashSet<>();
		for (JsonNode include : vs.path("compose").path("include")) {
			for (JsonNode c : include.path("concept")) {
				codes.add(include.path("system").asText() + "|" + c.path("code").asText());
			}
		}
		assertThat(ExamOrders.EXAM_CODES).containsExactlyInAnyOrderElementsOf(codes);
	}
}

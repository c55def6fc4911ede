package org.bonemarrow.server.security.audit;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import java.util.List;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;

/** What the console reads back from the audit trail: an HL7 v2 refusal's ERR details, a refused transaction's types. */
class AuditEventsForConsoleTest {

	@Test
	void aRefusedV2MessageKeepsItsErrCodeLocationAndReason_andIsSearchableByAckCodeAndType() {
		AuditEvent event = AuditEvents.v2Message("ehr", "ORM^O01", "MSG-1", "AE", new AuditEvents.V2Error(101,
				AuditEvents.V2Error.location("PID", 0, 3), "PID-3 (patient identifier list) is empty"));

		assertThat(event.getOutcomeDesc()).isEqualTo("HL7 v2 ACK AE: 101 PID-3: PID-3 (patient identifier list) is empty");
		assertThat(event.getOutcome()).isEqualTo(AuditEvent.AuditEventOutcome._4);
		assertThat(event.getSubtype()).extracting(Coding::getSystem, Coding::getCode).containsExactly(
				org.assertj.core.groups.Tuple.tuple(AuditEvents.V2_ACK_CODE_SYSTEM, "AE"),
				org.assertj.core.groups.Tuple.tuple(AuditEvents.V2_MESSAGE_CODE_SYSTEM, "ORM"),
				org.assertj.core.groups.Tuple.tuple(AuditEvents.V2_EVENT_SYSTEM, "O01"));
		assertThat(AuditEvents.v2Message("ehr", "ORU^R01", "MSG-2", "AA").getOutcomeDesc()).isEqualTo("HL7 v2 ACK AA");
	}

	@Test
	void errLocationsAndLongReasons() {
		assertThat(AuditEvents.V2Error.location("OBX", 3, 5)).isEqualTo("OBX(3)-5");
		assertThat(AuditEvents.V2Error.location("MSH", 1, 0)).isEqualTo("MSH");
		assertThat(AuditEvents.V2Error.location(null, 0, 4)).isNull();
		String desc = AuditEvents.v2Message(null, null, null, "AR", new AuditEvents.V2Error(207, null, "x".repeat(2000)))
				.getOutcomeDesc();
		assertThat(desc).startsWith("HL7 v2 ACK AR: 207: xxx").hasSize("HL7 v2 ACK AR: 207: ".length()
				+ AuditEvents.MAX_V2_REASON + 3);
	}

	@Test
	void aRefusedTransactionNamesTheResourceTypesItCarried_typesOnly() {
		Bundle transaction = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		transaction.addEntry().setResource(new Patient());
		transaction.addEntry().setResource(new DiagnosticReport());
		transaction.addEntry().setResource(new DiagnosticReport());
		transaction.addEntry().getRequest().setMethod(Bundle.HTTPVerb.DELETE).setUrl("Observation/5");
		transaction.addEntry().getRequest().setMethod(Bundle.HTTPVerb.DELETE).setUrl("Specimen?identifier=x");
		assertThat(FailedInteractionAudit.carriedTypes(transaction))
				.containsExactly("Patient", "DiagnosticReport", "Observation", "Specimen");
		assertThat(FailedInteractionAudit.carriedTypes(new Bundle().setType(Bundle.BundleType.SEARCHSET)
				.addEntry(new Bundle.BundleEntryComponent().setResource(new Observation())).getEntryFirstRep()
				.getResource())).isEmpty();
		assertThat(FailedInteractionAudit.carriedTypes(null)).isEmpty();

		AuditEvent event = AuditEvents.failed("lab", RestOperationTypeEnum.TRANSACTION, null, 422, null,
				List.of("Patient", "DiagnosticReport"));
		assertThat(event.getEntity()).extracting(e -> e.getType().getSystem() + "|" + e.getType().getCode())
				.containsExactly(AuditEvents.RESOURCE_TYPES + "|Patient", AuditEvents.RESOURCE_TYPES + "|DiagnosticReport");
		assertThat(event.getEntity()).allSatisfy(e -> assertThat(e.getWhat().hasReference()).isFalse());
		AuditEvent update = AuditEvents.failed("lab", RestOperationTypeEnum.UPDATE, "DiagnosticReport/7", 409, null);
		assertThat(update.getEntityFirstRep().getWhat().getReference()).isEqualTo("DiagnosticReport/7");
		assertThat(update.getEntityFirstRep().getType().getCode()).isEqualTo("DiagnosticReport");
	}
}

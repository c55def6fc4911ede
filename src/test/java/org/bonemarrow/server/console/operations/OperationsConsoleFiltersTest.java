package org.bonemarrow.server.console.operations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDate;
import java.util.Date;
import org.bonemarrow.server.delivery.DeliveryChannel;
import org.bonemarrow.server.delivery.DeliveryOutbox;
import org.bonemarrow.server.security.audit.AuditEvents;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.Test;

/** The console lists' filters and rows, without a server. */
class OperationsConsoleFiltersTest {

	@Test
	void pagesAre25Unless_askedAndNeverMoreThan100() {
		assertThat(Paging.of(null, null)).isEqualTo(new Paging(0, 25));
		assertThat(Paging.of(-3, 0)).isEqualTo(new Paging(0, 25));
		assertThat(Paging.of(2, 500)).isEqualTo(new Paging(2, 100));
		assertThat(Paging.of(3, 10).offset()).isEqualTo(30);
	}

	@Test
	void deliveryFiltersTakeTheReceiverAsStatusNamesIt() {
		assertThat(new ConsoleDeliveries.Filter("Failing", "", "hl7v2/test-lis").listing())
				.isEqualTo(new DeliveryOutbox.Listing(DeliveryOutbox.FAILING, DeliveryChannel.HL7V2, "test-lis"));
		assertThat(new ConsoleDeliveries.Filter(" dead ", null, "Subscription/12").listing())
				.isEqualTo(new DeliveryOutbox.Listing(DeliveryOutbox.DEAD, null, "12"));
		assertThat(new ConsoleDeliveries.Filter(null, "rest-hook", null).listing())
				.isEqualTo(new DeliveryOutbox.Listing(null, DeliveryChannel.REST_HOOK, null));
		assertThatThrownBy(() -> new ConsoleDeliveries.Filter("lost", null, null).listing())
				.isInstanceOf(IllegalArgumentException.class).hasMessageContaining("failing");
	}

	@Test
	void aV2MessageRowIsReadBackFromItsAuditEvent() {
		AuditEvent event = AuditEvents.v2Message("ehr", "ORU^R01", "MSG-9", "AE", new AuditEvents.V2Error(207,
				AuditEvents.V2Error.location("OBX", 3, 5), "OBX-5: not a number: the value type is NM"));
		event.setId("AuditEvent/77");
		ConsoleV2Messages.V2Message m = ConsoleV2Messages.message(event);
		assertThat(m).isEqualTo(new ConsoleV2Messages.V2Message("77", m.received(), "ehr", "ORU^R01", "MSG-9", "AE",
				"207", "OBX(3)-5", "OBX-5: not a number: the value type is NM"));
		assertThat(m.refused()).isTrue();

		AuditEvent unreadable = AuditEvents.v2Message(null, null, null, "AR",
				new AuditEvents.V2Error(100, "MSH", "The message does not start with a readable MSH segment"));
		ConsoleV2Messages.V2Message u = ConsoleV2Messages.message(unreadable);
		assertThat(u.sender()).isEqualTo("unknown sender");
		assertThat(u.type()).isEqualTo("unreadable HL7 v2 message");
		assertThat(u.errorCode()).isEqualTo("100");
		assertThat(u.errorLocation()).isEqualTo("MSH");

		// Recorded before the ERR details were kept: the ACK code, no error.
		AuditEvent old = new AuditEvent().setOutcomeDesc("HL7 v2 ACK AR").setRecorded(new Date());
		old.addEntity().setWhat(new Reference().setDisplay("HL7 v2 ORM^O01")).setName("MSG-OLD");
		ConsoleV2Messages.V2Message o = ConsoleV2Messages.message(old);
		assertThat(o.ack()).isEqualTo("AR");
		assertThat(o.errorCode()).isNull();
		assertThat(o.type()).isEqualTo("ORM^O01");
	}

	@Test
	void v2FiltersRefuseWhatIsNotAnAckCodeOrAMessageType() {
		assertThatThrownBy(() -> new ConsoleV2Messages.Filter("AX", null, null, null, null).map())
				.isInstanceOf(IllegalArgumentException.class);
		assertThatThrownBy(() -> new ConsoleV2Messages.Filter(null, null, "ORU^R01^ORU_R01", null, null).map())
				.isInstanceOf(IllegalArgumentException.class);
		assertThat(new ConsoleV2Messages.Filter("ae", "ehr", "oru^r01", LocalDate.of(2026, 11, 1), null).map()
				.get("subtype")).hasSize(3);
	}

	@Test
	void auditCriteriaAreReferencesCodesAndDates_checkedBeforeAnySearch() {
		assertThat(new ConsoleAuditSearch.Criteria("lab", "12", "DiagnosticReport/7", "4", LocalDate.of(2026, 11, 1),
				LocalDate.of(2026, 11, 26)).queryString()).isEqualTo("agent-name:exact=lab&patient=Patient/12"
						+ "&entity=DiagnosticReport/7&outcome=4&date=ge2026-11-01&date=le2026-11-26");
		assertThat(new ConsoleAuditSearch.Criteria(null, null, null, null, null, null).queryString()).isEmpty();
		assertThatThrownBy(() -> new ConsoleAuditSearch.Criteria(null, "Patient/a b", null, null, null, null).queryString())
				.isInstanceOf(IllegalArgumentException.class);
		assertThatThrownBy(() -> new ConsoleAuditSearch.Criteria(null, null, "Smith, John", null, null, null).queryString())
				.isInstanceOf(IllegalArgumentException.class);
		assertThatThrownBy(() -> new ConsoleAuditSearch.Criteria(null, null, null, "5", null, null).queryString())
				.isInstanceOf(IllegalArgumentException.class);
		assertThatThrownBy(() -> new ConsoleAuditSearch.Criteria("<script>", null, null, null, null, null).queryString())
				.isInstanceOf(IllegalArgumentException.class);
	}

	@Test
	void anAuditRowShowsReferencesAndNeverADisplayBesideOne() {
		AuditEvent event = AuditEvents.failed("lab", null, "Patient/12", 403, null);
		event.getEntityFirstRep().getWhat().setDisplay("Ada Demo-Fictional");
		event.setId("AuditEvent/5");
		ConsoleAuditSearch.AuditRow row = ConsoleAuditSearch.row(event);
		assertThat(row.entities()).containsExactly("Patient/12");
		assertThat(row.agents()).containsExactly("lab");
		assertThat(row.outcome()).isEqualTo("4");
		assertThat(row.failed()).isTrue();
		assertThat(row.toString()).doesNotContain("Ada");
	}
}

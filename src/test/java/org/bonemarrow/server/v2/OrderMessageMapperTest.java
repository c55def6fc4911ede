package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.hl7v2.AcknowledgmentCode;
import ca.uhn.hl7v2.ErrorCode;
import java.util.Map;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Enumerations.AdministrativeGender;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.Test;

/** ORM^O01 / OML^O21 to FHIR, without a server. */
class OrderMessageMapperTest {

	private static final String S = "T1";

	@Test
	void newOrmOrderIsTheExamOrderAFhirClientWouldPost() {
		OrderMessageMapper.MappedOrders mapped = OrderMessageMapper.map(V2Samples.parse(V2Samples.unique("orm-o01-new-order.hl7", S)));

		assertThat(mapped.mrn()).isEqualTo("MRN-V2-1001-T1");
		Patient p = mapped.patient();
		assertThat(p.getIdentifierFirstRep().getSystem()).isEqualTo("https://bonemarrow-exam.example/fhir/sid/mrn");
		assertThat(p.getIdentifierFirstRep().getType().getCodingFirstRep().getCode()).isEqualTo("MR");
		assertThat(p.getNameFirstRep().getFamily()).isEqualTo("Demo-Fictional");
		assertThat(p.getNameFirstRep().getGivenAsSingleString()).isEqualTo("Ada");
		assertThat(p.getBirthDateElement().getValueAsString()).isEqualTo("1961-04-12");
		assertThat(p.getGender()).isEqualTo(AdministrativeGender.FEMALE);

		assertThat(mapped.orders()).hasSize(1);
		OrderMessageMapper.MappedOrder o = mapped.orders().get(0);
		assertThat(o.control()).isEqualTo(OrderMessageMapper.Control.NEW);
		assertThat(o.placerNumber()).isEqualTo("PO-V2-0001-T1");
		ServiceRequest sr = o.order();
		assertThat(sr.getMeta().getProfile().get(0).getValue()).isEqualTo(OrderMessageMapper.ORDER_PROFILE);
		assertThat(sr.getIdentifierFirstRep().getSystem()).isEqualTo("https://bonemarrow-exam.example/fhir/sid/placer-order");
		assertThat(sr.getIdentifierFirstRep().getValue()).isEqualTo("PO-V2-0001-T1");
		assertThat(sr.getStatus()).isEqualTo(ServiceRequest.ServiceRequestStatus.ACTIVE);
		assertThat(sr.getIntent()).isEqualTo(ServiceRequest.ServiceRequestIntent.ORDER);
		assertThat(sr.getCode().getCodingFirstRep().getSystem()).isEqualTo("http://snomed.info/sct");
		assertThat(sr.getCode().getCodingFirstRep().getCode()).isEqualTo("49401003");
		assertThat(sr.getReasonCode()).hasSize(2);
		assertThat(sr.getReasonCode().get(0).getCodingFirstRep().getSystem())
				.isEqualTo("https://bonemarrow-exam.example/fhir/CodeSystem/bme-indication");
		assertThat(sr.getReasonCode().get(1).getCodingFirstRep().getCode()).isEqualTo("127034005");
		assertThat(sr.getRequester().getIdentifier().getValue()).isEqualTo("PRAC-V2-ORD-01");
		assertThat(sr.getRequester().getDisplay()).isEqualTo("Dr Hana Ordering");
		assertThat(sr.getAuthoredOnElement().getValueAsString()).isEqualTo("2025-02-17T09:00:00+01:00");
		assertThat(sr.getNoteFirstRep().getText()).startsWith("Pancytopenia");
	}

	@Test
	void newOrderTransactionMatchesOrCreatesPatientAndOrderByIdentifier() {
		OrderMessageMapper.MappedOrders mapped = OrderMessageMapper.map(V2Samples.parse(V2Samples.unique("orm-o01-new-order.hl7", S)));
		Bundle tx = OrderMessageMapper.transaction(mapped, Map.of());

		assertThat(tx.getType()).isEqualTo(Bundle.BundleType.TRANSACTION);
		assertThat(tx.getEntry()).hasSize(2);
		Bundle.BundleEntryComponent patient = tx.getEntry().get(0);
		assertThat(patient.getRequest().getMethod()).isEqualTo(Bundle.HTTPVerb.POST);
		assertThat(patient.getRequest().getIfNoneExist())
				.isEqualTo("identifier=https://bonemarrow-exam.example/fhir/sid/mrn|MRN-V2-1001-T1");
		Bundle.BundleEntryComponent order = tx.getEntry().get(1);
		assertThat(order.getRequest().getIfNoneExist())
				.isEqualTo("identifier=https://bonemarrow-exam.example/fhir/sid/placer-order|PO-V2-0001-T1");
		assertThat(((ServiceRequest) order.getResource()).getSubject().getReference()).isEqualTo(patient.getFullUrl());
	}

	@Test
	void omlOrderMapsTheSameWay() {
		OrderMessageMapper.MappedOrders mapped = OrderMessageMapper.map(V2Samples.parse(V2Samples.unique("oml-o21-new-order.hl7", S)));
		ServiceRequest sr = mapped.orders().get(0).order();
		assertThat(sr.getCode().getCodingFirstRep().getCode()).isEqualTo("aspiration-and-trephine");
		assertThat(sr.getCode().getCodingFirstRep().getSystem()).isEqualTo("https://bonemarrow-exam.example/fhir/CodeSystem/bme-exam");
		assertThat(sr.getReasonCode()).hasSize(2);
		assertThat(mapped.mrn()).isEqualTo("MRN-V2-1002-T1");
	}

	@Test
	void cancelRevokesTheStoredOrderGuardedByItsVersion() {
		OrderMessageMapper.MappedOrders mapped = OrderMessageMapper.map(V2Samples.parse(V2Samples.unique("orm-o01-cancel.hl7", S)));
		assertThat(mapped.hasNew()).isFalse();
		assertThat(mapped.cancels()).extracting(OrderMessageMapper.MappedOrder::placerNumber).containsExactly("PO-V2-0001-T1");

		ServiceRequest stored = new ServiceRequest();
		stored.setId(new IdType("ServiceRequest", "7", "2"));
		stored.setStatus(ServiceRequest.ServiceRequestStatus.ACTIVE);
		Bundle tx = OrderMessageMapper.transaction(mapped, Map.of("PO-V2-0001-T1", stored));

		assertThat(tx.getEntry()).hasSize(1);
		Bundle.BundleEntryComponent e = tx.getEntry().get(0);
		assertThat(e.getRequest().getMethod()).isEqualTo(Bundle.HTTPVerb.PUT);
		assertThat(e.getRequest().getUrl()).isEqualTo("ServiceRequest/7");
		assertThat(e.getRequest().getIfMatch()).isEqualTo("W/\"2\"");
		assertThat(((ServiceRequest) e.getResource()).getStatus()).isEqualTo(ServiceRequest.ServiceRequestStatus.REVOKED);
	}

	@Test
	void missingPatientIdentifierIsAnAeWithItsLocation() {
		String msg = V2Samples.unique("order-missing-patient-identifier.invalid.hl7", S);
		assertThatThrownBy(() -> OrderMessageMapper.map(V2Samples.parse(msg)))
				.isInstanceOfSatisfying(V2Rejection.class, r -> {
					assertThat(r.acknowledgment()).isEqualTo(AcknowledgmentCode.AE);
					assertThat(r.errorCode()).isEqualTo(ErrorCode.REQUIRED_FIELD_MISSING);
					assertThat(r.segment()).isEqualTo("PID");
					assertThat(r.field()).isEqualTo(3);
				});
	}

	@Test
	void anOrderForSomethingElseThanABoneMarrowExamIsRefused() {
		String msg = V2Samples.unique("orm-o01-new-order.hl7", S)
				.replace("49401003^Bone marrow aspiration procedure^SCT", "58410-2^CBC panel^LN");
		assertThatThrownBy(() -> OrderMessageMapper.map(V2Samples.parse(msg)))
				.isInstanceOfSatisfying(V2Rejection.class, r -> {
					assertThat(r.errorCode()).isEqualTo(ErrorCode.TABLE_VALUE_NOT_FOUND);
					assertThat(r.userMessage()).contains("OBR-4", "not a bone marrow exam order");
				});
	}

	@Test
	void unsupportedOrderControlAndUnknownCodingSystemAreNamed() {
		String replace = V2Samples.unique("orm-o01-new-order.hl7", S).replace("ORC|NW|", "ORC|XO|");
		assertThatThrownBy(() -> OrderMessageMapper.map(V2Samples.parse(replace)))
				.isInstanceOfSatisfying(V2Rejection.class, r -> assertThat(r.userMessage()).contains("ORC-1", "XO"));
		String local = V2Samples.unique("orm-o01-new-order.hl7", S).replace("^SCT|", "^LOCALX|");
		assertThatThrownBy(() -> OrderMessageMapper.map(V2Samples.parse(local)))
				.isInstanceOfSatisfying(V2Rejection.class, r -> assertThat(r.userMessage()).contains("OBR-4", "LOCALX"));
	}
}

package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.hl7v2.ErrorCode;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Specimen;
import org.junit.jupiter.api.Test;

/** Gap filling from the exam, without a server: where each empty SPM field comes from, and when it is refused. */
class SpecimenGapsTest {

	private static final String SCT = "http://snomed.info/sct";
	private static final String V2_0550 = "http://terminology.hl7.org/CodeSystem/v2-0550";
	private static final String ORDER = "ServiceRequest/7";

	private static ServiceRequest order(String examCode) {
		ServiceRequest o = new ServiceRequest();
		o.setId(ORDER);
		o.getCode().addCoding(new Coding(examCode.startsWith("aspiration") ? "https://bonemarrow-exam.example/fhir/CodeSystem/bme-exam" : SCT, examCode, null));
		return o;
	}

	private static Specimen specimen(String typeCode) {
		Specimen s = new Specimen();
		s.setType(new CodeableConcept(new Coding(SCT, typeCode, null)));
		s.addRequest(new Reference(ORDER));
		return s;
	}

	private static Procedure procedure(boolean site, boolean performed) {
		Procedure p = new Procedure();
		p.setId("Procedure/4");
		if (site) {
			p.addBodySite(new CodeableConcept(new Coding(V2_0550, "ILCR", "Iliac Crest")));
		}
		if (performed) {
			p.setPerformed(new Period().setStartElement(new DateTimeType("2025-02-17T11:30:00+01:00")));
		}
		return p;
	}

	private static Bundle transaction(Specimen... specimens) {
		Bundle b = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		for (int i = 0; i < specimens.length; i++) {
			b.addEntry().setFullUrl("urn:uuid:s" + i).setResource(specimens[i]);
		}
		return b;
	}

	@Test
	void aspirateIsFilledFromTheProcedureWithOneProvenance() {
		Specimen s = specimen("396997002");
		Bundle b = transaction(s);
		var exam = new SpecimenGaps.Exam(order("49401003"), List.of(procedure(true, true)), List.of());

		assertThat(SpecimenGaps.fill(b, Map.of(ORDER, exam))).containsExactly("SPM-7", "SPM-8", "SPM-17");

		assertThat(s.getCollection().getMethod().getCodingFirstRep().getCode()).isEqualTo("129316008");
		assertThat(s.getCollection().getBodySite().getCodingFirstRep().getCode()).isEqualTo("ILCR");
		assertThat(s.getCollection().getCollectedDateTimeType().getValueAsString()).isEqualTo("2025-02-17T11:30:00+01:00");
		Provenance p = (Provenance) b.getEntry().get(1).getResource();
		assertThat(b.getEntry().get(1).getRequest().getUrl()).isEqualTo("Provenance");
		assertThat(p.getTarget()).extracting(Reference::getReference).containsExactly("urn:uuid:s0");
		assertThat(p.getEntity()).extracting(e -> e.getWhat().getReference()).containsExactly(ORDER, "Procedure/4");
		assertThat(p.getReasonFirstRep().getText()).contains("SPM-8 body site from Procedure/4", "SPM-17 collection time from Procedure/4");
	}

	@Test
	void aStoredSpecimenOfTheSameKindComesFirst() {
		Specimen stored = specimen("119359002");
		stored.setId("Specimen/9");
		stored.getCollection().setMethod(new CodeableConcept(new Coding(SCT, "129314006", null)))
				.setBodySite(new CodeableConcept(new Coding(SCT, "56873002", "Sternum")))
				.setCollected(new DateTimeType("2025-02-17T10:00:00+01:00"));
		Specimen aspirateStored = specimen("396997002");
		aspirateStored.setId("Specimen/8");
		aspirateStored.getCollection().setBodySite(new CodeableConcept(new Coding(V2_0550, "ILCR", null)));
		Specimen core = specimen("119359002");
		var exam = new SpecimenGaps.Exam(order("aspiration-and-trephine"), List.of(procedure(true, true)), List.of(aspirateStored, stored));

		SpecimenGaps.fill(transaction(core), Map.of(ORDER, exam));

		assertThat(core.getCollection().getMethod().getCodingFirstRep().getCode()).isEqualTo("129314006");
		assertThat(core.getCollection().getBodySite().getCodingFirstRep().getCode()).isEqualTo("56873002");
		assertThat(core.getCollection().getCollectedDateTimeType().getValueAsString()).isEqualTo("2025-02-17T10:00:00+01:00");
	}

	@Test
	void nothingToFillAddsNoProvenance() {
		Specimen s = specimen("396997002");
		s.getCollection().setMethod(new CodeableConcept(new Coding(SCT, "129316008", null)))
				.setBodySite(new CodeableConcept(new Coding(V2_0550, "ILCR", null)))
				.setCollected(new DateTimeType("2025-02-17"));
		Bundle b = transaction(s);
		assertThat(SpecimenGaps.fill(b, Map.of(ORDER, new SpecimenGaps.Exam(order("49401003"), List.of(), List.of())))).isEmpty();
		assertThat(b.getEntry()).hasSize(1);
	}

	@Test
	void whatCanBeNeitherReadNorFilledIsRefusedAtItsField() {
		var noSite = new SpecimenGaps.Exam(order("49401003"), List.of(procedure(false, true)), List.of());
		assertThatThrownBy(() -> SpecimenGaps.fill(transaction(specimen("396997002")), Map.of(ORDER, noSite)))
				.isInstanceOfSatisfying(V2Rejection.class, r -> {
					assertThat(r.errorCode()).isEqualTo(ErrorCode.REQUIRED_FIELD_MISSING);
					assertThat(r.userMessage()).startsWith("SPM-8 is empty");
				});
		var noTime = new SpecimenGaps.Exam(order("49401003"), List.of(procedure(true, false)), List.of());
		assertThatThrownBy(() -> SpecimenGaps.fill(transaction(specimen("396997002")), Map.of(ORDER, noTime)))
				.isInstanceOfSatisfying(V2Rejection.class, r -> assertThat(r.userMessage()).startsWith("SPM-17 is empty"));
		// Table 0487 MAR alone in an exam with aspirate and trephine: the method is not guessed.
		Specimen marrow = new Specimen();
		marrow.setType(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/v2-0487", "MAR", null)));
		marrow.addRequest(new Reference(ORDER));
		var both = new SpecimenGaps.Exam(order("aspiration-and-trephine"), List.of(procedure(true, true)), List.of());
		assertThatThrownBy(() -> SpecimenGaps.fill(transaction(marrow), Map.of(ORDER, both)))
				.isInstanceOfSatisfying(V2Rejection.class, r -> assertThat(r.userMessage()).startsWith("SPM-7 is empty"));
	}
}

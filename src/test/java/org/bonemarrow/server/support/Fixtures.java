package org.bonemarrow.server.support;

import java.util.UUID;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Enumerations.AdministrativeGender;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Specimen;

/**
 * Exam resources built in code, each with identifiers unique to the call, because every REST test shares
 * one database. Codes as in fhir-profiles (see docs/codes-used.md for their sources).
 */
public final class Fixtures {

	public static final String SNOMED = "http://snomed.info/sct";
	public static final String LOINC = "http://loinc.org";
	public static final String MRN_SYSTEM = "https://bonemarrow-exam.example/fhir/sid/mrn";
	public static final String INDICATION_SYSTEM = "https://bonemarrow-exam.example/fhir/CodeSystem/bme-indication";
	public static final String PLACER_SYSTEM = "https://bonemarrow-exam.example/fhir/sid/placer-order";
	/** Local finding codes, among them the numeric blast and cellularity percentages (docs/codes-used.md). */
	public static final String BME_OBSERVATION = "https://bonemarrow-exam.example/fhir/CodeSystem/bme-observation";
	public static final String UCUM = "http://unitsofmeasure.org";

	private Fixtures() {}

	public static String unique(String prefix) {
		return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
	}

	public static Patient patient(String mrn) {
		Patient p = new Patient();
		p.addIdentifier().setSystem(MRN_SYSTEM).setValue(mrn);
		p.addName().setFamily("Testperson").addGiven("Alex");
		p.setGender(AdministrativeGender.FEMALE);
		p.setBirthDateElement(new org.hl7.fhir.r4.model.DateType("1961-04-12"));
		return p;
	}

	/** The combined exam order: SNOMED 49401003 bone marrow aspiration procedure. */
	public static ServiceRequest order(String placerNumber, String patientRef) {
		ServiceRequest sr = new ServiceRequest();
		sr.addIdentifier(new Identifier().setSystem(PLACER_SYSTEM).setValue(placerNumber));
		sr.setStatus(ServiceRequest.ServiceRequestStatus.ACTIVE);
		sr.setIntent(ServiceRequest.ServiceRequestIntent.ORDER);
		sr.setCode(concept(SNOMED, "49401003", "Bone marrow aspiration procedure"));
		sr.setSubject(new Reference(patientRef));
		sr.setAuthoredOnElement(new DateTimeType("2026-11-20T09:00:00Z"));
		sr.setRequester(new Reference().setDisplay("Ordering haematologist"));
		sr.addReasonCode(concept(INDICATION_SYSTEM, "diagnose-marrow-or-blood-disorder",
				"Diagnosis of a bone marrow or blood cell disorder"));
		return sr;
	}

	public static Procedure procedure(String orderRef, String patientRef) {
		Procedure p = new Procedure();
		p.setStatus(Procedure.ProcedureStatus.PREPARATION);
		p.addBasedOn(new Reference(orderRef));
		p.setSubject(new Reference(patientRef));
		p.setCode(concept(SNOMED, "49401003", "Bone marrow aspiration procedure"));
		return p;
	}

	/** Aspirate: SNOMED 396997002 specimen from bone marrow obtained by aspiration. */
	public static Specimen aspirate(String orderRef, String patientRef) {
		Specimen s = new Specimen();
		s.setType(concept(SNOMED, "396997002", "Specimen from bone marrow obtained by aspiration"));
		s.setSubject(new Reference(patientRef));
		s.addRequest(new Reference(orderRef));
		s.getCollection().setMethod(concept(SNOMED, "129316008", "Aspiration - action"));
		collectedFromIliacCrest(s);
		return s;
	}

	/** Core biopsy: SNOMED 119359002 bone marrow specimen, collected by 129314006 biopsy - action. */
	public static Specimen core(String orderRef, String patientRef) {
		Specimen s = new Specimen();
		s.setType(concept(SNOMED, "119359002", "Bone marrow specimen"));
		s.setSubject(new Reference(patientRef));
		s.addRequest(new Reference(orderRef));
		s.getCollection().setMethod(concept(SNOMED, "129314006", "Biopsy - action"));
		collectedFromIliacCrest(s);
		return s;
	}

	private static void collectedFromIliacCrest(Specimen s) {
		s.getCollection().setCollected(new DateTimeType("2026-11-21T09:30:00Z"));
		s.getCollection().setBodySite(concept("http://terminology.hl7.org/CodeSystem/v2-0550", "ILCR", "Iliac Crest"));
	}

	/** LOINC 11138-5 myeloid:erythroid ratio in bone marrow. */
	public static Observation meRatio(String patientRef, String specimenRef, double value) {
		Observation o = new Observation();
		o.setStatus(Observation.ObservationStatus.FINAL);
		o.addCategory(concept("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", "Laboratory"));
		o.setCode(concept(LOINC, "11138-5", "Myeloid cells/Erythroid cells [Ratio] in Bone marrow"));
		o.setSubject(new Reference(patientRef));
		o.setSpecimen(new Reference(specimenRef));
		o.setEffective(new DateTimeType("2026-11-21T09:30:00Z"));
		o.setValue(new Quantity().setValue(value).setUnit("{ratio}").setSystem("http://unitsofmeasure.org").setCode("{ratio}"));
		return o;
	}

	/**
	 * Numeric blast percentage (profile bme-blast-percentage): local code blast-percentage, valueQuantity in UCUM %.
	 * No numeric LOINC code was verified, see docs/codes-used.md.
	 */
	public static Observation blastPercentage(String orderRef, String patientRef, String specimenRef, double percent) {
		Observation o = new Observation();
		o.addBasedOn(new Reference(orderRef));
		o.setStatus(Observation.ObservationStatus.FINAL);
		o.addCategory(concept("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", "Laboratory"));
		o.setCode(concept(BME_OBSERVATION, "blast-percentage", "Blasts/100 nucleated cells in Bone marrow aspirate [percent]"));
		o.setSubject(new Reference(patientRef));
		o.setSpecimen(new Reference(specimenRef));
		o.setEffective(new DateTimeType("2026-11-21T09:30:00Z"));
		o.setValue(new Quantity().setValue(percent).setUnit("%").setSystem(UCUM).setCode("%"));
		return o;
	}

	/** LOINC 48807-2 bone marrow aspiration report; the profile needs at least one specimen. */
	public static DiagnosticReport report(String orderRef, String patientRef, DiagnosticReport.DiagnosticReportStatus status,
			String... specimenRefs) {
		DiagnosticReport r = new DiagnosticReport();
		r.setStatus(status);
		r.addBasedOn(new Reference(orderRef));
		r.addCategory(concept("http://terminology.hl7.org/CodeSystem/v2-0074", "HM", "Hematology"));
		r.setCode(concept(LOINC, "48807-2", "Bone marrow aspiration report"));
		r.setSubject(new Reference(patientRef));
		r.setEffective(new DateTimeType("2026-11-21T09:30:00Z"));
		r.setIssued(new java.util.Date());
		for (String s : specimenRefs) {
			r.addSpecimen(new Reference(s));
		}
		r.setConclusion("Normocellular marrow with trilineage haematopoiesis.");
		return r;
	}

	/**
	 * A whole exam as one transaction: Patient (conditional on MRN), order (conditional on placer number),
	 * procedure, aspirate and core specimens, M:E ratio observation and the report, linked by urn:uuid.
	 */
	public static Bundle examTransaction(String mrn, String placerNumber) {
		String patient = urn(), order = urn(), procedure = urn(), aspirate = urn(), core = urn(), obs = urn(), report = urn();
		Bundle b = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		add(b, patient, patient(mrn), "identifier=" + MRN_SYSTEM + "|" + mrn);
		add(b, order, order(placerNumber, patient), "identifier=" + PLACER_SYSTEM + "|" + placerNumber);
		add(b, procedure, procedure(order, patient), null);
		add(b, aspirate, aspirate(order, patient), null);
		add(b, core, core(order, patient), null);
		add(b, obs, meRatio(patient, aspirate, 3.0), null);
		DiagnosticReport r = report(order, patient, DiagnosticReport.DiagnosticReportStatus.FINAL, aspirate, core);
		r.addResult(new Reference(obs));
		add(b, report, r, null);
		return b;
	}

	public static String urn() {
		return "urn:uuid:" + UUID.randomUUID();
	}

	public static void add(Bundle b, String fullUrl, Resource resource, String ifNoneExist) {
		Bundle.BundleEntryComponent e = b.addEntry().setFullUrl(fullUrl).setResource(resource);
		e.getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl(resource.fhirType());
		if (ifNoneExist != null) {
			e.getRequest().setIfNoneExist(ifNoneExist);
		}
	}

	public static CodeableConcept concept(String system, String code, String display) {
		return new CodeableConcept(new Coding(system, code, display));
	}
}

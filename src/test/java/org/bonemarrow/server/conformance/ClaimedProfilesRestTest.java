package org.bonemarrow.server.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bonemarrow.server.support.Fixtures.*;

import io.restassured.response.Response;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DateType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.StringType;
import org.junit.jupiter.api.Test;

/**
 * Profiles a client claims in meta.profile that the server does not hold (US Core tags every resource) are
 * warnings on a successful write, not refusals; our profiles still decide for exam resources; a profile from a
 * package the site added (bonemarrow.validation.packages; the test package example.partner.profiles) is
 * enforced.
 */
@FhirServerTest
class ClaimedProfilesRestTest extends RestTestBase {

	static final String US_CORE_LAB = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab";
	static final String US_CORE_PATIENT = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient";
	static final String PARTNER_PATIENT = "https://partner.example/fhir/StructureDefinition/partner-patient";

	@Test
	void anExamObservationClaimingUsCoreLabIsStoredWithAWarningNamingTheProfile() {
		String patient = create(patient(unique("mrn")));
		String order = create(order(unique("placer"), patient));
		String aspirate = create(aspirate(order, patient));
		Observation blasts = blastPercentage(order, patient, aspirate, 4);
		blasts.getMeta().addProfile(US_CORE_LAB);

		Response r = fhir().header("Prefer", "return=OperationOutcome").body(json(blasts)).post("/Observation");

		r.then().statusCode(201);
		assertThat(outcome(r).getIssue()).anySatisfy(issue -> {
			assertThat(issue.getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.WARNING);
			assertThat(issue.getCode()).isEqualTo(OperationOutcome.IssueType.NOTSUPPORTED);
			assertThat(issue.getDiagnostics()).contains(US_CORE_LAB, "not held");
			assertThat(issue.getExpression()).extracting(StringType::getValue).containsExactly("meta.profile[0]");
		});
		assertThat(r.headers().getValues("X-FHIR-Request-Validation")).anySatisfy(h -> assertThat(h).contains(US_CORE_LAB));
		assertThat(total("/Observation?subject=" + patient)).isEqualTo(1);
	}

	@Test
	void ourProfileStillDecidesForAnExamResourceThatAlsoClaimsUsCore() {
		String patient = create(patient(unique("mrn")));
		String order = create(order(unique("placer"), patient));
		String aspirate = create(aspirate(order, patient));
		Observation blasts = blastPercentage(order, patient, aspirate, 4);
		blasts.getMeta().addProfile(US_CORE_LAB);
		blasts.setValue(new Quantity().setValue(140).setUnit("%").setSystem(UCUM).setCode("%"));

		Response r = fhir().body(json(blasts)).post("/Observation");

		r.then().statusCode(422);
		assertThat(outcome(r).getIssue()).extracting(OperationOutcome.OperationOutcomeIssueComponent::getDiagnostics)
				.anySatisfy(d -> assertThat(d).contains("bme-blast-2"))
				.noneSatisfy(d -> assertThat(d).contains(US_CORE_LAB));
		assertThat(total("/Observation?subject=" + patient)).isZero();
	}

	@Test
	void aPlainLabObservationAndAPatientClaimingUsCoreAreStoredWithTheWarningInTheHeader() {
		String patient = fhir().body(json(usCorePatient(unique("mrn")))).post("/Patient")
				.then().statusCode(201).header("X-FHIR-Request-Validation", org.hamcrest.Matchers.containsString(US_CORE_PATIENT))
				.extract().header("Location");
		Observation haemoglobin = new Observation();
		haemoglobin.getMeta().addProfile(US_CORE_LAB);
		haemoglobin.setStatus(Observation.ObservationStatus.FINAL);
		haemoglobin.addCategory(concept("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", "Laboratory"));
		haemoglobin.setCode(concept(LOINC, "718-7", "Hemoglobin [Mass/volume] in Blood"));
		haemoglobin.getSubject().setReference(idFromLocation(patient));
		haemoglobin.setValue(new Quantity().setValue(9.1).setUnit("g/dL").setSystem(UCUM).setCode("g/dL"));

		Response r = fhirAs("lab").body(json(haemoglobin)).post("/Observation");

		r.then().statusCode(201);
		assertThat(r.headers().getValues("X-FHIR-Request-Validation"))
				.singleElement().satisfies(h -> assertThat(h).startsWith("warning Observation/").contains("meta.profile[0]", US_CORE_LAB));
	}

	@Test
	void inATransactionTheWarningIsInTheOutcomeOfTheEntryThatClaimedTheProfile() {
		Bundle tx = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		add(tx, urn(), usCorePatient(unique("mrn")), null);
		add(tx, urn(), patient(unique("mrn")), null);

		Response r = fhir().body(json(tx)).post("/");

		r.then().statusCode(200);
		Bundle response = bundle(r);
		assertThat(response.getEntry().get(0).getResponse().getOutcome()).isInstanceOfSatisfying(OperationOutcome.class,
				oo -> assertThat(oo.getIssue()).anySatisfy(i -> {
					assertThat(i.getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.WARNING);
					assertThat(i.getDiagnostics()).contains(US_CORE_PATIENT);
				}));
		OperationOutcome second = (OperationOutcome) response.getEntry().get(1).getResponse().getOutcome();
		assertThat(second == null ? java.util.List.<OperationOutcome.OperationOutcomeIssueComponent>of() : second.getIssue())
				.noneSatisfy(i -> assertThat(i.getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.WARNING));
	}

	@Test
	void aProfileFromAPackageTheSiteAddedIsEnforced() {
		Patient withoutBirthDate = patient(unique("mrn"));
		withoutBirthDate.setBirthDateElement(null);
		withoutBirthDate.getMeta().addProfile(PARTNER_PATIENT);
		String mrn = withoutBirthDate.getIdentifierFirstRep().getValue();

		Response refused = fhir().body(json(withoutBirthDate)).post("/Patient");

		refused.then().statusCode(422);
		assertThat(outcome(refused).getIssue()).anySatisfy(issue -> {
			assertThat(issue.getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
			assertThat(issue.getDiagnostics()).contains("Patient.birthDate", "minimum required = 1");
		});
		assertThat(total("/Patient?identifier=" + withoutBirthDate.getIdentifierFirstRep().getSystem() + "|" + mrn)).isZero();

		withoutBirthDate.setBirthDateElement(new DateType("1961-04-02"));
		Response stored = fhir().body(json(withoutBirthDate)).post("/Patient");
		stored.then().statusCode(201);
		assertThat(stored.headers().getValues("X-FHIR-Request-Validation")).isEmpty();
	}

	private static Patient usCorePatient(String mrn) {
		Patient p = patient(mrn);
		p.getMeta().addProfile(US_CORE_PATIENT);
		p.addIdentifier(new Identifier().setSystem("http://hospital.example/mrn-extra").setValue(mrn));
		return p;
	}
}

package org.bonemarrow.server.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.executor.InterceptorService;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import java.util.List;
import org.bonemarrow.server.profiles.BoneMarrowPackage;
import org.bonemarrow.server.profiles.ClaimedProfiles;
import org.bonemarrow.server.profiles.ExamResourceClassifier;
import org.bonemarrow.server.profiles.OfflineValidatorFactory;
import org.bonemarrow.server.profiles.ValidationProperties;
import org.bonemarrow.server.profiles.ValidationProperties.UnknownProfiles;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.StringType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The two settings of bonemarrow.validation.unknown-profiles, without a server (offline validation chain). */
class ProfileValidationInterceptorTest {

	private static final FhirContext CTX = FhirContext.forR4Cached();
	private static final String US_CORE_PATIENT = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient";
	private static ValidationSupportChain chain;

	@BeforeAll
	static void offlineChain() {
		chain = OfflineValidatorFactory.createValidationSupport(CTX, BoneMarrowPackage.fromClasspath());
	}

	@Test
	void warnStoresAndRecordsOneWarningPerProfileNotHeld() {
		SystemRequestDetails request = new SystemRequestDetails();
		Patient patient = usCorePatient();

		interceptor(UnknownProfiles.WARN).validate(patient, request);

		assertThat(ValidationWarnings.recorded(request)).singleElement().satisfies(oo ->
				assertThat(oo.getIssue()).singleElement().satisfies(issue -> {
					assertThat(issue.getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.WARNING);
					assertThat(issue.getDiagnostics()).contains(US_CORE_PATIENT, "not held");
					assertThat(issue.getExpression()).extracting(StringType::getValue).containsExactly("meta.profile[1]");
				}));
	}

	@Test
	void refuseAnswers422WithTheClaimAsLocation() {
		assertThatThrownBy(() -> interceptor(UnknownProfiles.REFUSE).validate(usCorePatient(), new SystemRequestDetails()))
				.isInstanceOfSatisfying(UnprocessableEntityException.class, e -> {
					OperationOutcome oo = (OperationOutcome) e.getOperationOutcome();
					assertThat(oo.getIssue()).singleElement().satisfies(issue -> {
						assertThat(issue.getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
						assertThat(issue.getDiagnostics()).contains(US_CORE_PATIENT, "unknown-profiles: refuse");
						assertThat(issue.getExpression()).extracting(StringType::getValue).containsExactly("meta.profile[1]");
					});
				});
	}

	@Test
	void aClaimedR4CoreProfileIsHeld_soNotWarnedAbout_andNotEnforcedOnANonExamResource() {
		// The official R4 examples claim vitalsigns; one without its subject does not satisfy it. A general R4
		// server has always stored such resources, and still does; only packages a site adds are enforced.
		Observation heartRate = new Observation();
		heartRate.getMeta().addProfile("http://hl7.org/fhir/StructureDefinition/vitalsigns");
		heartRate.setStatus(Observation.ObservationStatus.FINAL);
		heartRate.getCode().addCoding().setSystem("http://loinc.org").setCode("8867-4");
		SystemRequestDetails request = new SystemRequestDetails();

		interceptor(UnknownProfiles.REFUSE).validate(heartRate, request);

		assertThat(ValidationWarnings.recorded(request)).isEmpty();
	}

	private static Patient usCorePatient() {
		Patient p = new Patient();
		p.getMeta().addProfile("http://hl7.org/fhir/StructureDefinition/Patient");
		p.getMeta().addProfile(US_CORE_PATIENT);
		p.addIdentifier().setSystem("http://hospital.example/mrn").setValue("mrn-1");
		return p;
	}

	private static ProfileValidationInterceptor interceptor(UnknownProfiles mode) {
		FhirInstanceValidator module = new FhirInstanceValidator(chain);
		module.setErrorForUnknownProfiles(true);
		return new ProfileValidationInterceptor(CTX, module,
				new ExamResourceClassifier(BoneMarrowPackage.fromClasspath()), new ClaimedProfiles(chain),
				new ValidationProperties(true, mode, List.of()), new InterceptorService());
	}
}

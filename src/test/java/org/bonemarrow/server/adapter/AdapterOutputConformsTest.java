package org.bonemarrow.server.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.ValidationOptions;
import java.util.ArrayList;
import java.util.List;
import org.bonemarrow.server.profiles.BoneMarrowPackage;
import org.bonemarrow.server.profiles.ExamResourceClassifier;
import org.bonemarrow.server.profiles.OfflineValidatorFactory;
import org.bonemarrow.server.support.FhirServerTest;
import org.hl7.fhir.r4.model.DiagnosticReport.DiagnosticReportStatus;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the workflow adapter writes conforms to our profiles. The server does not re-validate the adapter's
 * own writes (ProfileValidationInterceptor: they are the server's, derived from input that was just
 * validated, and re-validating them was a quarter of all validation time); this test is what vouches for
 * them instead: every exam sample, order to final report, and each exam resource the adapter created or
 * changed (the Procedure, the completed order) is validated offline against the profile it must meet.
 */
@FhirServerTest
class AdapterOutputConformsTest extends AdapterRestTestBase {

	private static final BoneMarrowPackage PKG = BoneMarrowPackage.fromClasspath();
	private static final ExamResourceClassifier CLASSIFIER = new ExamResourceClassifier(PKG);
	private static FhirValidator validator;

	private static synchronized FhirValidator validator() {
		if (validator == null) {
			validator = OfflineValidatorFactory.createValidator(CTX, PKG);
		}
		return validator;
	}

	@ParameterizedTest
	@ValueSource(strings = {"exam-suspected-leukaemia.json", "exam-lymphoma-staging.json", "exam-iron-assessment.json",
			"exam-myeloma-treatment-monitoring.json", "exam-fever-unknown-origin-culture.json",
			"exam-post-transplant-assessment.json"})
	void theAdaptersProcedureAndCompletedOrderConform(String sample) {
		ExamFlow flow = orderPlaced(sample);
		String order = flow.orderId();
		List<Resource> adapterWritten = new ArrayList<>(procedures(order));
		adapterWritten.addAll(tasks(order));
		check(adapterWritten, "after the order");

		post(flow, flow.transactionOf(List.of("Specimen")));
		post(flow, flow.reportTransaction(DiagnosticReportStatus.FINAL));
		ServiceRequest completed = read(ServiceRequest.class, order);
		assertThat(completed.getStatus()).isEqualTo(ServiceRequest.ServiceRequestStatus.COMPLETED);
		List<Resource> afterReport = new ArrayList<>(procedures(order));
		afterReport.addAll(tasks(order));
		afterReport.add(completed);
		check(afterReport, "after the final report");
	}

	/** Each exam resource against its profile; at least the Procedure must be one (else the test proves nothing). */
	private void check(List<Resource> resources, String when) {
		int checked = 0;
		for (Resource r : resources) {
			String profile = CLASSIFIER.classify(r).orElse(null);
			if (profile == null) {
				continue;
			}
			checked++;
			var errors = validator().validateWithResult(r, new ValidationOptions().addProfile(profile)).getMessages().stream()
					.filter(m -> m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL)
					.map(m -> m.getLocationString() + ": " + m.getMessage())
					.toList();
			assertThat(errors).as(r.fhirType() + " " + when + " against " + profile).isEmpty();
		}
		assertThat(checked).as("exam resources written by the adapter " + when).isPositive();
	}
}

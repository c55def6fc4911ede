package org.bonemarrow.server.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.IInstanceValidatorModule;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationOptions;
import ca.uhn.fhir.validation.ValidationResult;
import java.util.List;
import org.bonemarrow.server.adapter.AdapterWriter;
import org.bonemarrow.server.profiles.ExamResourceClassifier;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * Validates every exam resource on create and update, inside the storage transaction, so a violation
 * stores nothing (a transaction bundle is rolled back whole). "Exam resource" means: it claims one of our
 * profiles in meta.profile, or it carries one of our exam codes without claiming any
 * ({@link ExamResourceClassifier}); then it is validated against that profile. Everything else is left
 * to plain FHIR, so the server stays a general R4 server.
 *
 * <p>Uses HAPI's JPA instance validator (the chain that holds the installed package); errors answer
 * 422 with an OperationOutcome listing each error with its FHIRPath location.
 */
@Component
@Interceptor
@ConditionalOnProperty(name = "bonemarrow.validation.enabled", havingValue = "true", matchIfMissing = true)
public class ExamProfileValidationInterceptor {

	private final ExamResourceClassifier classifier;
	private final FhirValidator validator;

	public ExamProfileValidationInterceptor(
			FhirContext fhirContext,
			IInstanceValidatorModule instanceValidator,
			ExamResourceClassifier classifier,
			IInterceptorService jpaInterceptors) {
		this.classifier = classifier;
		this.validator = fhirContext.newValidator();
		this.validator.registerValidatorModule(instanceValidator);
		// The JPA (not the REST) interceptor service: storage pointcuts then fire for REST writes and for
		// writes made inside the server, such as the workflow adapter's, alike.
		jpaInterceptors.registerInterceptor(this);
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
	public void validateCreated(IBaseResource resource) {
		validate(resource);
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
	public void validateUpdated(IBaseResource oldResource, IBaseResource newResource) {
		validate(newResource);
	}

	void validate(IBaseResource resource) {
		// The workflow adapter's own writes (the Procedure and Task it makes from an order, the status it sets
		// on the order and Procedure when the report arrives) are the server's, derived from input validated a
		// moment earlier in the same transaction. Re-validating them was about a quarter of all validation time
		// (JFR, BENCHMARKS.md); AdapterOutputConformsTest validates what the adapter writes for every sample.
		if (AdapterWriter.isAdapterWrite()) {
			return;
		}
		classifier.classify(resource).ifPresent(profile -> {
			ValidationResult result = validator.validateWithResult(resource, new ValidationOptions().addProfile(profile));
			List<SingleValidationMessage> errors = result.getMessages().stream()
					.filter(m -> m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL)
					.toList();
			if (!errors.isEmpty()) {
				throw new UnprocessableEntityException(
						"Resource does not conform to profile " + profile, toOutcome(profile, errors));
			}
		});
	}

	static OperationOutcome toOutcome(String profile, List<SingleValidationMessage> errors) {
		OperationOutcome outcome = new OperationOutcome();
		for (SingleValidationMessage m : errors) {
			OperationOutcome.OperationOutcomeIssueComponent issue = outcome.addIssue()
					.setSeverity(OperationOutcome.IssueSeverity.ERROR)
					.setCode(OperationOutcome.IssueType.PROCESSING)
					.setDiagnostics(m.getMessage() + " (profile " + profile + ")");
			if (m.getLocationString() != null) {
				issue.addExpression(m.getLocationString());
			}
		}
		return outcome;
	}
}

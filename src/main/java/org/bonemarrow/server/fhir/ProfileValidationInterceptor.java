package org.bonemarrow.server.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.IInstanceValidatorModule;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationOptions;
import ca.uhn.fhir.validation.ValidationResult;
import java.util.List;
import java.util.Optional;
import org.bonemarrow.server.adapter.AdapterWriter;
import org.bonemarrow.server.profiles.ClaimedProfiles;
import org.bonemarrow.server.profiles.ExamResourceClassifier;
import org.bonemarrow.server.profiles.ValidationProperties;
import org.bonemarrow.server.profiles.ValidationProperties.UnknownProfiles;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * Validates written resources on create and update, inside the storage transaction, so a violation stores
 * nothing (a transaction bundle is rolled back whole):
 * <ul>
 *   <li>exam resources against our profile: those claiming one of our profiles in meta.profile, or carrying
 *       one of our exam codes ({@link ExamResourceClassifier});
 *   <li>any other resource claiming a profile from a package a site added ({@code bonemarrow.validation.packages})
 *       against that profile (R4 core profiles are held but, as before, not enforced on their own);
 *   <li>a claimed profile the server does not hold (US Core, say) is a warning in the response
 *       ({@link ValidationWarnings}), or a 422 with {@code unknown-profiles: refuse}.
 * </ul>
 * Everything else is left to plain FHIR, so the server stays a general R4 server. Errors answer 422 with an
 * OperationOutcome listing each error with its FHIRPath location. Uses HAPI's JPA instance validator (the
 * chain that holds the installed packages).
 */
@Component
@Interceptor
@ConditionalOnProperty(name = "bonemarrow.validation.enabled", havingValue = "true", matchIfMissing = true)
public class ProfileValidationInterceptor {

	private final ExamResourceClassifier classifier;
	private final ClaimedProfiles claimedProfiles;
	private final UnknownProfiles unknownProfiles;
	private final FhirValidator validator;

	public ProfileValidationInterceptor(
			FhirContext fhirContext,
			IInstanceValidatorModule instanceValidator,
			ExamResourceClassifier classifier,
			ClaimedProfiles claimedProfiles,
			ValidationProperties properties,
			IInterceptorService jpaInterceptors) {
		this.classifier = classifier;
		this.claimedProfiles = claimedProfiles;
		this.unknownProfiles = properties.unknownProfiles();
		this.validator = fhirContext.newValidator();
		this.validator.registerValidatorModule(instanceValidator);
		// The JPA (not the REST) interceptor service: storage pointcuts then fire for REST writes and for
		// writes made inside the server, such as the workflow adapter's, alike.
		jpaInterceptors.registerInterceptor(this);
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
	public void validateCreated(IBaseResource resource, RequestDetails request) {
		validate(resource, request);
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
	public void validateUpdated(IBaseResource oldResource, IBaseResource newResource, RequestDetails request) {
		validate(newResource, request);
	}

	void validate(IBaseResource resource, RequestDetails request) {
		// The workflow adapter's own writes (the Procedure and Task it makes from an order, the status it sets
		// on the order and Procedure when the report arrives) are the server's, derived from input validated a
		// moment earlier in the same transaction. Re-validating them was about a quarter of all validation time
		// (JFR, BENCHMARKS.md); AdapterOutputConformsTest validates what the adapter writes for every sample.
		if (AdapterWriter.isAdapterWrite()) {
			return;
		}
		List<ClaimedProfiles.Claim> notHeld = claimedProfiles.notHeld(resource);
		if (!notHeld.isEmpty() && unknownProfiles == UnknownProfiles.REFUSE) {
			throw new UnprocessableEntityException(
					"Resource claims profiles this server does not hold", notHeldOutcome(notHeld, OperationOutcome.IssueSeverity.ERROR));
		}
		Optional<String> examProfile = classifier.classify(resource);
		// The validator checks every held profile in meta.profile by itself; an exam resource is also checked
		// against its exam profile when it claims none of ours (classified by code). A resource that claims only
		// R4 core profiles (vitalsigns, say) is not validated for them, as before and as in a stock R4 server:
		// official R4 examples claim them, and enforcing them now would refuse what R4 clients have always sent.
		// Profiles from packages a site added are what it asked to have enforced.
		if (examProfile.isPresent() || claimedProfiles.held(resource).stream().anyMatch(c -> !ClaimedProfiles.isCoreProfile(c.url()))) {
			ValidationOptions options = new ValidationOptions();
			examProfile.ifPresent(options::addProfile);
			ValidationResult result = validator.validateWithResult(resource, options);
			List<SingleValidationMessage> errors = result.getMessages().stream()
					.filter(m -> m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL)
					.filter(m -> !isAboutAClaimNotHeld(m, notHeld))
					.toList();
			if (!errors.isEmpty()) {
				String against = examProfile.map(p -> "profile " + p).orElse("a profile claimed in meta.profile");
				throw new UnprocessableEntityException(
						"Resource does not conform to " + against, toOutcome(against, errors));
			}
		}
		if (!notHeld.isEmpty()) {
			ValidationWarnings.record(request, resource, notHeldOutcome(notHeld, OperationOutcome.IssueSeverity.WARNING));
		}
	}

	/**
	 * HAPI's validator reports each claimed profile it cannot find as an error at that meta.profile entry
	 * ("has not been checked because it could not be found"). Whether that refuses the write is decided here,
	 * by {@code unknown-profiles}, not by the validator.
	 */
	private static boolean isAboutAClaimNotHeld(SingleValidationMessage m, List<ClaimedProfiles.Claim> notHeld) {
		String location = m.getLocationString();
		return location != null && notHeld.stream().anyMatch(c -> location.endsWith("." + c.location()));
	}

	static OperationOutcome notHeldOutcome(List<ClaimedProfiles.Claim> notHeld, OperationOutcome.IssueSeverity severity) {
		OperationOutcome outcome = new OperationOutcome();
		for (ClaimedProfiles.Claim claim : notHeld) {
			outcome.addIssue()
					.setSeverity(severity)
					.setCode(OperationOutcome.IssueType.NOTSUPPORTED)
					.setDiagnostics("Profile " + claim.url() + " is not held by this server, so the resource was not checked"
							+ " against it (bonemarrow.validation.unknown-profiles: "
							+ (severity == OperationOutcome.IssueSeverity.ERROR ? "refuse" : "warn")
							+ "; a site adds a package with bonemarrow.validation.packages)")
					.addExpression(claim.location());
		}
		return outcome;
	}

	/** @param against "profile <url>", or which claimed profiles, for the diagnostics */
	static OperationOutcome toOutcome(String against, List<SingleValidationMessage> errors) {
		OperationOutcome outcome = new OperationOutcome();
		for (SingleValidationMessage m : errors) {
			OperationOutcome.OperationOutcomeIssueComponent issue = outcome.addIssue()
					.setSeverity(OperationOutcome.IssueSeverity.ERROR)
					.setCode(OperationOutcome.IssueType.PROCESSING)
					.setDiagnostics(m.getMessage() + " (" + against + ")");
			if (m.getLocationString() != null) {
				issue.addExpression(m.getLocationString());
			}
		}
		return outcome;
	}
}

package org.bonemarrow.server.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.dao.data.IResourceLinkDao;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.model.primitive.IdDt;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import ca.uhn.fhir.util.FhirTerser;
import ca.uhn.fhir.util.ResourceReferenceInfo;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Task;
import org.springframework.stereotype.Component;

/**
 * A clinical resource may only point at clinical resources of its own patient: a report for patient A
 * cannot list patient B's specimen, order or findings, and an order's procedure cannot be another
 * patient's. Three rules, all checked pre-commit (when every reference in a transaction is resolved to
 * its stored id), each answering 422 naming the element and the ids involved (never patient data) and
 * rolling back the whole request:
 * <ol>
 *   <li>what the written resource points at belongs to its patient;</li>
 *   <li>an update never moves a resource to another patient. A conditional update on an identifier
 *       (HL7 v2 filler numbers, a lab's result ids) that happens to match another patient's record would
 *       otherwise rewrite that record as this patient's, and everything pointing at it with it. A result
 *       filed under the wrong patient is corrected the FHIR way: {@code entered-in-error} on the wrong one,
 *       a new resource for the right patient;</li>
 *   <li>when an update gives a resource its patient for the first time, what already points at it
 *       belongs to that patient (A's report listing a finding that had no subject yet cannot make it
 *       B's finding).</li>
 * </ol>
 * The patient is the {@code subject} (Task: {@code for}); a subject given only by identifier is resolved
 * to the stored Patient with that identifier, and one that resolves to none is a patient of its own,
 * never the same as a stored one. Registered on HAPI's storage interceptors, so HL7 v2 and adapter
 * writes are checked too.
 */
@Component
@Interceptor
public class SamePatientReferenceInterceptor {

	/** Types that belong to one patient through subject (Task: for). */
	static final Set<String> PATIENT_BOUND = Set.of("ServiceRequest", "Procedure", "Specimen", "DiagnosticReport",
			"Observation", "Task", "Condition", "Encounter", "CarePlan", "MedicationRequest", "MedicationAdministration",
			"MedicationStatement");

	private final DaoRegistry daos;
	private final FhirTerser terser;
	private final IResourceLinkDao links;

	public SamePatientReferenceInterceptor(DaoRegistry daos, FhirContext fhirContext, IResourceLinkDao links,
			IInterceptorService jpaInterceptors) {
		this.daos = daos;
		this.terser = fhirContext.newTerser();
		this.links = links;
		jpaInterceptors.registerInterceptor(this);
	}

	/** Before the workflow rules (order 0): a cross-patient reference is a security refusal, not a workflow one. */
	static final int BEFORE_WORKFLOW_RULES = -100;

	@Hook(value = Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED, order = BEFORE_WORKFLOW_RULES)
	public void created(IBaseResource resource) {
		check(resource);
	}

	@Hook(value = Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED, order = BEFORE_WORKFLOW_RULES)
	public void updated(IBaseResource previous, IBaseResource resource) {
		String type = resource.fhirType();
		if (PATIENT_BOUND.contains(type)) {
			String before = patientOf(previous);
			String after = patientOf(resource);
			if (before != null && !before.equals(after)) {
				throw new UnprocessableEntityException(type + "/" + resource.getIdElement().getIdPart()
						+ " belongs to " + describe(before) + "; an update cannot move it to "
						+ (after == null ? "no patient" : describe(after)) + ". Mark it entered-in-error and create "
						+ "a new " + type + " for the right patient. Nothing was stored.");
			}
			if (before == null && after != null) {
				checkReferrers(resource, after);
			}
		}
		check(resource);
	}

	void check(IBaseResource resource) {
		String type = resource.fhirType();
		if (!PATIENT_BOUND.contains(type)) {
			return;
		}
		String patient = patientOf(resource);
		if (patient == null) {
			return;
		}
		for (ResourceReferenceInfo info : terser.getAllResourceReferences(resource)) {
			IIdType target = info.getResourceReference().getReferenceElement();
			if (!isStoredPatientBound(target)) {
				continue;
			}
			String targetPatient = patientOf(read(target));
			if (targetPatient != null && !targetPatient.equals(patient)) {
				throw new UnprocessableEntityException(type + "." + info.getName() + " refers to "
						+ target.toUnqualifiedVersionless().getValue()
						+ ", which belongs to a different patient than this " + type + ". Nothing was stored.");
			}
		}
	}

	/** Rule 3: every stored clinical resource pointing at this one already must be of its (new) patient. */
	private void checkReferrers(IBaseResource resource, String patient) {
		IIdType id = resource.getIdElement();
		List<IdDt> referrers;
		try (Stream<IdDt> sources = links.streamSourceIdsForTargetFhirId(resource.fhirType(), id.getIdPart())) {
			referrers = sources.filter(Objects::nonNull).distinct().limit(1000).toList();
		}
		for (IdDt referrer : referrers) {
			if (!isStoredPatientBound(referrer) || referrer.getIdPart().equals(id.getIdPart())
					&& referrer.getResourceType().equals(resource.fhirType())) {
				continue;
			}
			String referrerPatient = patientOf(read(referrer));
			if (referrerPatient != null && !referrerPatient.equals(patient)) {
				throw new UnprocessableEntityException(referrer.toUnqualifiedVersionless().getValue() + " refers to "
						+ resource.fhirType() + "/" + id.getIdPart() + " and belongs to a different patient than the one "
						+ "this update gives it. Nothing was stored.");
			}
		}
	}

	private static boolean isStoredPatientBound(IIdType target) {
		return target != null && !target.isEmpty() && !target.isLocal() && !target.isAbsolute()
				&& target.hasResourceType() && target.hasIdPart() && PATIENT_BOUND.contains(target.getResourceType());
	}

	private IBaseResource read(IIdType target) {
		try {
			return daos.getResourceDao(target.getResourceType())
					.read(target.toUnqualifiedVersionless(), new SystemRequestDetails());
		} catch (ResourceNotFoundException | ResourceGoneException missing) {
			// HAPI's referential integrity answers for references to nothing.
			return null;
		}
	}

	/**
	 * {@code Patient/123} of a patient-bound resource; for a subject given by identifier only, the stored
	 * patient with that identifier, else {@code Patient?identifier=system|value}; null when it names none.
	 */
	String patientOf(IBaseResource resource) {
		if (resource == null) {
			return null;
		}
		Reference subject = resource instanceof Task task
				? task.getFor()
				: terser.getSingleValueOrNull(resource, "subject", Reference.class);
		if (subject == null) {
			return null;
		}
		IIdType reference = subject.getReferenceElement();
		if (!reference.isEmpty()) {
			return "Patient".equals(reference.getResourceType()) ? reference.toUnqualifiedVersionless().getValue() : null;
		}
		if (subject.hasIdentifier() && subject.getIdentifier().hasValue()
				&& (!subject.hasType() || "Patient".equals(subject.getType()))) {
			return patientByIdentifier(subject.getIdentifier());
		}
		return null;
	}

	private String patientByIdentifier(Identifier identifier) {
		SearchParameterMap byIdentifier = SearchParameterMap.newSynchronous()
				.add("identifier", new TokenParam(identifier.getSystem(), identifier.getValue()));
		byIdentifier.setCount(2);
		List<IBaseResource> found = daos.getResourceDao("Patient").search(byIdentifier, new SystemRequestDetails())
				.getAllResources();
		if (found.size() == 1) {
			return found.get(0).getIdElement().toUnqualifiedVersionless().getValue();
		}
		return "Patient?identifier=" + (identifier.hasSystem() ? identifier.getSystem() + "|" : "") + identifier.getValue();
	}

	/** A patient key as it may appear in a refusal: the id, never an identifier value (that is patient data). */
	private static String describe(String patientKey) {
		return patientKey.startsWith("Patient?") ? "a patient given by identifier" : patientKey;
	}
}

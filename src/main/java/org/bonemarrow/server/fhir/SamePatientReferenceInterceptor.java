package org.bonemarrow.server.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import ca.uhn.fhir.util.FhirTerser;
import ca.uhn.fhir.util.ResourceReferenceInfo;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Task;
import org.springframework.stereotype.Component;

/**
 * A clinical resource may only point at clinical resources of its own patient: a report for patient A
 * cannot list patient B's specimen, order or findings, and an order's procedure cannot be another
 * patient's. Checked pre-commit, when every reference in a transaction is resolved to its stored id;
 * a violation answers 422 naming the element and the target id (never patient data) and rolls back the
 * whole request. Registered on HAPI's storage interceptors, so HL7 v2 and adapter writes are checked too.
 */
@Component
@Interceptor
public class SamePatientReferenceInterceptor {

	/** Types that belong to one patient through subject (Task: for). */
	static final Set<String> PATIENT_BOUND = Set.of("ServiceRequest", "Procedure", "Specimen", "DiagnosticReport",
			"Observation", "Task", "Condition", "Encounter", "CarePlan", "MedicationRequest", "MedicationAdministration");

	private final DaoRegistry daos;
	private final FhirTerser terser;

	public SamePatientReferenceInterceptor(DaoRegistry daos, FhirContext fhirContext, IInterceptorService jpaInterceptors) {
		this.daos = daos;
		this.terser = fhirContext.newTerser();
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
			if (target == null || target.isLocal() || target.isAbsolute() || !target.hasResourceType()
					|| !target.hasIdPart() || !PATIENT_BOUND.contains(target.getResourceType())) {
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

	private IBaseResource read(IIdType target) {
		try {
			return daos.getResourceDao(target.getResourceType())
					.read(target.toUnqualifiedVersionless(), new SystemRequestDetails());
		} catch (ResourceNotFoundException | ResourceGoneException missing) {
			// HAPI's referential integrity answers for references to nothing.
			return null;
		}
	}

	/** {@code Patient/123} of a patient-bound resource, or null when it names none. */
	String patientOf(IBaseResource resource) {
		if (resource == null) {
			return null;
		}
		Reference subject = resource instanceof Task task
				? task.getFor()
				: terser.getSingleValueOrNull(resource, "subject", Reference.class);
		if (subject == null || subject.getReferenceElement().isEmpty()
				|| !"Patient".equals(subject.getReferenceElement().getResourceType())) {
			return null;
		}
		return subject.getReferenceElement().toUnqualifiedVersionless().getValue();
	}
}

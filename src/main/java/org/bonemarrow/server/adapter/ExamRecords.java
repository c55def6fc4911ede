package org.bonemarrow.server.adapter;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.util.List;
import java.util.Optional;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Specimen;
import org.hl7.fhir.r4.model.Task;
import org.springframework.stereotype.Component;

/**
 * Finds the records that belong to one exam order. Reads run as system requests so that the client's
 * request parameters (paging, _summary, ...) cannot change what a rule sees; inside a pre-commit hook
 * they run in the triggering write's transaction and so see what it has written so far.
 */
@Component
public class ExamRecords {

	private final DaoRegistry daos;

	public ExamRecords(DaoRegistry daos) {
		this.daos = daos;
	}

	public Optional<ServiceRequest> order(IIdType id) {
		return read(ServiceRequest.class, id);
	}

	public Optional<Specimen> specimen(IIdType id) {
		return read(Specimen.class, id);
	}

	/** The exam Procedures basedOn the order (anaesthesia procedures are partOf them, not basedOn). */
	public List<Procedure> proceduresFor(IIdType orderId) {
		return search(Procedure.class, "based-on", orderId);
	}

	/** The fulfilment Task of the order (the adapter makes exactly one). */
	public Optional<Task> taskFor(IIdType orderId) {
		return search(Task.class, "focus", orderId).stream().findFirst();
	}

	public List<DiagnosticReport> reportsFor(IIdType orderId) {
		return search(DiagnosticReport.class, "based-on", orderId);
	}

	public List<Task> tasksFor(IIdType orderId) {
		return search(Task.class, "focus", orderId);
	}

	public <T extends IBaseResource> Optional<T> read(Class<T> type, IIdType id) {
		if (id == null || !id.hasIdPart()) {
			return Optional.empty();
		}
		try {
			IdType plain = new IdType(daos.getFhirContext().getResourceType(type), id.getIdPart());
			return Optional.of(daos.getResourceDao(type).read(plain, new SystemRequestDetails()));
		} catch (ResourceNotFoundException | ResourceGoneException e) {
			return Optional.empty();
		}
	}

	/**
	 * Search for the ids, then read each: inside a transaction in which the adapter has already updated a
	 * match (two specimens in one bundle both move the Task), the search's copy can be an older version,
	 * while a read returns the current one.
	 */
	<T extends IBaseResource> List<T> search(Class<T> type, String param, IIdType target) {
		SearchParameterMap map = SearchParameterMap.newSynchronous();
		map.add(param, new ReferenceParam(target.toUnqualifiedVersionless().getValue()));
		return daos.getResourceDao(type).searchForResourceIds(map, new SystemRequestDetails()).stream()
				.map(id -> read(type, id))
				.flatMap(Optional::stream)
				.toList();
	}

	/** {@code ServiceRequest/12} references among the given ones, as versionless ids. */
	public static List<IIdType> orderIds(List<Reference> references) {
		return references.stream()
				.filter(r -> r.hasReference() && r.getReferenceElement().hasIdPart()
						&& "ServiceRequest".equals(r.getReferenceElement().getResourceType()))
				.map(r -> (IIdType) r.getReferenceElement().toUnqualifiedVersionless())
				.distinct()
				.toList();
	}
}

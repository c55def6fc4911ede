package org.bonemarrow.server.fhir;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.Binary;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.PractitionerRole;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Specimen;
import org.hl7.fhir.r4.model.Task;
import org.springframework.stereotype.Component;

/**
 * {@code GET /fhir/ServiceRequest/{id}/$exam-summary}: one exam, whole, in one call — the order, its
 * patient, encounter, orderer and performers (a PractitionerRole with its Practitioner), procedure(s) (with
 * the anaesthesia procedures partOf them), fulfilment task(s), specimens, reports with their performers, the
 * Binary of a presentedForm stored here (the signed PDF; inline presentedForm data is in the report itself)
 * and their observations (and the members of panel observations) — as a collection Bundle.
 * Reads go through the DAOs with the caller's request, so every interceptor that guards reads applies; the
 * people, places and documents around the exam are left out where the caller may not read their type.
 */
@Component
public class ExamSummaryOperation implements FhirServerCustomizer {

	private final DaoRegistry daos;

	public ExamSummaryOperation(DaoRegistry daos) {
		this.daos = daos;
	}

	@Override
	public void customize(RestfulServer server) {
		server.registerProvider(this);
	}

	@Operation(name = "$exam-summary", idempotent = true, type = ServiceRequest.class)
	public Bundle examSummary(@IdParam IdType orderId, RequestDetails request) {
		ServiceRequest order = daos.getResourceDao(ServiceRequest.class)
				.read(new IdType("ServiceRequest", orderId.getIdPart()), request);
		String orderRef = "ServiceRequest/" + order.getIdElement().getIdPart();
		Map<String, Resource> found = new LinkedHashMap<>();
		add(found, order);
		if (order.getSubject().getReferenceElement().hasIdPart()) {
			read(order.getSubject(), request).ifPresent(r -> add(found, r));
		}
		readIfAllowed(order.getEncounter(), request).ifPresent(r -> add(found, r));
		addParticipant(found, order.getRequester(), request);
		order.getPerformer().forEach(p -> addParticipant(found, p, request));
		List<Procedure> procedures = search(Procedure.class, "based-on", orderRef, request);
		for (Procedure p : procedures) {
			add(found, p);
			search(Procedure.class, "part-of", "Procedure/" + p.getIdElement().getIdPart(), request).forEach(r -> add(found, r));
		}
		search(Task.class, "focus", orderRef, request).forEach(r -> add(found, r));
		specimens(order, orderRef, request).forEach(r -> add(found, r));
		for (DiagnosticReport report : search(DiagnosticReport.class, "based-on", orderRef, request)) {
			add(found, report);
			report.getPerformer().forEach(p -> addParticipant(found, p, request));
			report.getResultsInterpreter().forEach(p -> addParticipant(found, p, request));
			for (Attachment form : report.getPresentedForm()) {
				ReportDocuments.localBinary(form.getUrl(), request.getFhirServerBase())
						.flatMap(binary -> readIfAllowed(new Reference(binary.toUnqualifiedVersionless().getValue()), request))
						.filter(binary -> ReportDocuments.belongsTo((Binary) binary, report))
						.ifPresent(r -> add(found, r));
			}
			for (Reference result : report.getResult()) {
				read(result, request).ifPresent(obs -> {
					add(found, obs);
					if (obs instanceof Observation o) {
						o.getHasMember().forEach(m -> read(m, request).ifPresent(r -> add(found, r)));
					}
				});
			}
		}
		Bundle bundle = new Bundle().setType(Bundle.BundleType.COLLECTION);
		bundle.setTotal(found.size());
		String base = request.getFhirServerBase();
		for (Resource r : found.values()) {
			bundle.addEntry().setFullUrl(base + "/" + r.getIdElement().toUnqualifiedVersionless().getValue()).setResource(r);
		}
		return bundle;
	}

	/**
	 * Specimens by {@code Specimen?request=} (our SearchParameter bme-specimen-request); while that
	 * parameter is not active, the patient's specimens filtered on Specimen.request give the same answer.
	 */
	private List<Specimen> specimens(ServiceRequest order, String orderRef, RequestDetails request) {
		try {
			return search(Specimen.class, "request", orderRef, request);
		} catch (InvalidRequestException unknownParameter) {
			if (!order.getSubject().hasReference()) {
				return List.of();
			}
			List<Specimen> out = new ArrayList<>();
			for (Specimen s : search(Specimen.class, "subject", order.getSubject().getReference(), request)) {
				if (s.getRequest().stream().anyMatch(r -> orderRef.equals(r.getReferenceElement().toUnqualifiedVersionless().getValue()))) {
					out.add(s);
				}
			}
			return out;
		}
	}

	@SuppressWarnings("unchecked")
	private <T extends IBaseResource> List<T> search(Class<T> type, String param, String ref, RequestDetails request) {
		SearchParameterMap map = SearchParameterMap.newSynchronous();
		map.add(param, new ReferenceParam(ref));
		return (List<T>) (List<?>) daos.getResourceDao(type).search(map, request).getAllResources();
	}

	private java.util.Optional<Resource> read(Reference ref, RequestDetails request) {
		IIdType id = ref.getReferenceElement();
		if (!id.hasResourceType() || !id.hasIdPart()) {
			return java.util.Optional.empty();
		}
		try {
			return java.util.Optional.of((Resource) daos.getResourceDao(id.getResourceType())
					.read(new IdType(id.getResourceType(), id.getIdPart()), request));
		} catch (ResourceNotFoundException | ca.uhn.fhir.rest.server.exceptions.ResourceGoneException e) {
			return java.util.Optional.empty();
		}
	}

	/** A Practitioner, Organization, ..., or a PractitionerRole together with the Practitioner it names. */
	private void addParticipant(Map<String, Resource> found, Reference who, RequestDetails request) {
		readIfAllowed(who, request).ifPresent(r -> {
			add(found, r);
			if (r instanceof PractitionerRole role) {
				readIfAllowed(role.getPractitioner(), request).ifPresent(p -> add(found, p));
			}
		});
	}

	private java.util.Optional<Resource> readIfAllowed(Reference ref, RequestDetails request) {
		try {
			return read(ref, request);
		} catch (ForbiddenOperationException notReadableForThisCaller) {
			return java.util.Optional.empty();
		}
	}

	private static void add(Map<String, Resource> found, IBaseResource r) {
		found.putIfAbsent(r.getIdElement().toUnqualifiedVersionless().getValue(), (Resource) r);
	}
}

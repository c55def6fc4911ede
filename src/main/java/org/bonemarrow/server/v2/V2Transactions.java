package org.bonemarrow.server.v2;

import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.TokenParam;
import java.util.List;
import java.util.Optional;
import org.bonemarrow.server.security.CallerIdentity;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Meta;
import org.springframework.stereotype.Component;

/**
 * The gateway's only way into the database: each inbound message is ONE FHIR transaction through HAPI's
 * system DAO, so it is validated, checked by the workflow adapter and stored (or refused) exactly as the
 * same transaction posted to {@code /fhir} would be, and nothing of it is stored when any part fails.
 * Requests carry the sender's {@link CallerIdentity} in their user data (under
 * {@link CallerIdentity#REQUEST_ATTRIBUTE}), for the audit trail.
 */
@Component
public class V2Transactions {

	private final IFhirSystemDao<Bundle, Meta> systemDao;
	private final DaoRegistry daos;

	public V2Transactions(IFhirSystemDao<Bundle, Meta> systemDao, DaoRegistry daos) {
		this.systemDao = systemDao;
		this.daos = daos;
	}

	public Bundle run(Bundle transaction, CallerIdentity caller) {
		return systemDao.transaction(request(caller), transaction);
	}

	/** The resources of a type with an identifier (system|value), read as the sender. */
	public <T extends IBaseResource> List<T> byIdentifier(Class<T> type, String system, String value, CallerIdentity caller) {
		SearchParameterMap map = SearchParameterMap.newSynchronous("identifier", new TokenParam(system, value));
		IBundleProvider found = daos.getResourceDao(type).search(map, request(caller));
		return found.getResources(0, 10).stream().map(type::cast).toList();
	}

	/** The resources of a type that refer to a resource through a reference search parameter, read as the sender. */
	public <T extends IBaseResource> List<T> referring(Class<T> type, String parameter, String reference, CallerIdentity caller) {
		SearchParameterMap map = SearchParameterMap.newSynchronous(parameter, new ca.uhn.fhir.rest.param.ReferenceParam(reference));
		IBundleProvider found = daos.getResourceDao(type).search(map, request(caller));
		return found.getResources(0, 50).stream().map(type::cast).toList();
	}

	public <T extends IBaseResource> Optional<T> read(Class<T> type, IIdType id, CallerIdentity caller) {
		try {
			return Optional.of(daos.getResourceDao(type).read(id.toUnqualifiedVersionless(), request(caller)));
		} catch (ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException
				| ca.uhn.fhir.rest.server.exceptions.ResourceGoneException e) {
			return Optional.empty();
		}
	}

	static SystemRequestDetails request(CallerIdentity caller) {
		SystemRequestDetails request = new SystemRequestDetails();
		if (caller != null) {
			request.getUserData().put(CallerIdentity.REQUEST_ATTRIBUTE, caller);
		}
		return request;
	}
}

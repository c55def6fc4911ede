package org.bonemarrow.server.subscriptions;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.util.function.Function;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Resource;

/**
 * The focus of an event as it was stored by that event (a versioned id, {@code DiagnosticReport/12/_history/3}),
 * for a notification sent now and for {@code $events} asked later alike; null when no longer stored.
 */
final class StoredFocus {

	private StoredFocus() {}

	static Function<String, Resource> reader(DaoRegistry daos) {
		return version -> {
			IdType id = new IdType(version);
			try {
				return (Resource) daos.getResourceDao(id.getResourceType()).read(id, new SystemRequestDetails());
			} catch (ResourceNotFoundException | ResourceGoneException e) {
				return null;
			}
		};
	}
}

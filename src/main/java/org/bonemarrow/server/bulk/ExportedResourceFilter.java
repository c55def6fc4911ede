package org.bonemarrow.server.bulk;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.bulk.BulkExportJobParameters;
import java.util.stream.Collectors;
import org.bonemarrow.server.fhir.ContainedResourceFilter;
import org.bonemarrow.server.fhir.SubscriptionChannelPolicy;
import org.bonemarrow.server.security.SmartScopes;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Subscription;

/**
 * What a REST read would hide, the export file hides too (it is written by the job, past the REST
 * interceptors; HAPI calls this once per exported resource, on a copy):
 * <ul>
 *   <li>contained resources of a type outside the export are removed, as {@link ContainedResourceFilter} does
 *       for a read: the export's types are those the client may read ({@link BulkExportGate}), so this is at
 *       least as strict as its scopes;</li>
 *   <li>a Subscription's {@code channel.header} values (a receiver's credentials) are masked as
 *       {@code Name: ***}, as fhir.SubscriptionSecretsMasking does for a read.</li>
 * </ul>
 * On HAPI's JPA interceptor service: the job calls its hooks there.
 */
@Interceptor
public class ExportedResourceFilter {

	@Hook(Pointcut.STORAGE_BULK_EXPORT_RESOURCE_INCLUSION)
	public boolean include(BulkExportJobParameters parameters, IBaseResource resource) {
		if (parameters.getBinarySecurityContextIdentifierValue() != null) {
			SmartScopes exported = SmartScopes.parse(parameters.getResourceTypes().stream()
					.map(type -> "system/" + type + ".r").collect(Collectors.joining(" ")));
			ContainedResourceFilter.strip(resource, exported);
		}
		if (resource instanceof Subscription subscription) {
			// The same masking a read shows (one rule for what a masked header looks like).
			for (StringType header : subscription.getChannel().getHeader()) {
				header.setValue(SubscriptionChannelPolicy.mask(header.getValue()));
			}
		}
		return true;
	}
}

package org.bonemarrow.server.bulk;

import ca.uhn.fhir.batch2.api.IJobCoordinator;
import ca.uhn.fhir.batch2.model.JobInstance;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.IPreResourceShowDetails;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.bulk.BulkExportJobParameters;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import ca.uhn.fhir.util.Batch2JobDefinitionConstants;
import java.util.Optional;
import org.bonemarrow.server.security.CallerIdentity;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Binary;
import org.hl7.fhir.r4.model.Parameters;

/**
 * An export belongs to the client that started it ({@link BulkExportGate} stamps it on the job and on every
 * output file's {@code Binary.securityContext.identifier}):
 * <ul>
 *   <li>{@code $export-poll-status} (GET: status, DELETE: cancel) of another client's job is a 403, as is an
 *       id that is not a bulk export;</li>
 *   <li>an export file read as {@code Binary/<id>} by another client is a 403, whatever its Binary scope
 *       (a lab reads report PDFs with Binary.r); in a search or history it is left out;</li>
 *   <li>no client writes an export file, or a Binary claiming to be one: only the export job does.</li>
 * </ul>
 * The same idea as HAPI's BinarySecurityContextInterceptor, with reads left out of searches instead of
 * failing them.
 */
@Interceptor
public class ExportOwnership {

	private static final String POLL = "$export-poll-status";
	private final IJobCoordinator jobs;

	public ExportOwnership(IJobCoordinator jobs) {
		this.jobs = jobs;
	}

	@Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED)
	public void poll(RequestDetails request) {
		if (!POLL.equals(request.getOperation())) {
			return;
		}
		Optional<CallerIdentity> caller = caller(request);
		if (caller.isEmpty()) {
			return;
		}
		String jobId = jobId(request);
		if (jobId == null || jobId.isBlank()) {
			throw new InvalidRequestException(POLL + " needs _jobId: follow the Content-Location of your kick-off");
		}
		String owner;
		try {
			JobInstance job = jobs.getInstance(jobId);
			owner = Batch2JobDefinitionConstants.BULK_EXPORT.equals(job.getJobDefinitionId())
					? job.getParameters(BulkExportJobParameters.class).getBinarySecurityContextIdentifierValue()
					: null;
		} catch (ResourceNotFoundException e) {
			throw new ResourceNotFoundException("No bulk export " + jobId);
		}
		if (!caller.get().clientId().equals(owner)) {
			throw BulkExportGate.refused(caller.get(), "may not poll, cancel or download this export: it was"
					+ " started by another client");
		}
	}

	@Hook(Pointcut.STORAGE_PRESHOW_RESOURCES)
	public void showing(IPreResourceShowDetails shown, RequestDetails request) {
		Optional<CallerIdentity> caller = caller(request);
		if (caller.isEmpty()) {
			return;
		}
		for (int i = 0; i < shown.size(); i++) {
			String owner = owner(shown.getResource(i));
			if (owner != null && !owner.equals(caller.get().clientId())) {
				RestOperationTypeEnum operation = request.getRestOperationType();
				if (operation == RestOperationTypeEnum.READ || operation == RestOperationTypeEnum.VREAD) {
					throw BulkExportGate.refused(caller.get(), "may not download this export file: it belongs to"
							+ " another client's export");
				}
				shown.setResource(i, null);
			}
		}
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
	public void creating(IBaseResource resource, RequestDetails request) {
		refuseWrite(request, resource);
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
	public void updating(IBaseResource previous, IBaseResource resource, RequestDetails request) {
		refuseWrite(request, previous);
		refuseWrite(request, resource);
	}

	private static void refuseWrite(RequestDetails request, IBaseResource resource) {
		Optional<CallerIdentity> caller = caller(request);
		if (caller.isPresent() && owner(resource) != null) {
			throw BulkExportGate.refused(caller.get(), "may not write a bulk export file: only the export job does");
		}
	}

	/** The client an export file belongs to, or null when the resource is not one. */
	static String owner(IBaseResource resource) {
		if (resource instanceof Binary binary && binary.hasSecurityContext()
				&& binary.getSecurityContext().hasIdentifier()
				&& BulkExportGate.OWNER_SYSTEM.equals(binary.getSecurityContext().getIdentifier().getSystem())) {
			String owner = binary.getSecurityContext().getIdentifier().getValue();
			return owner == null ? "" : owner;
		}
		return null;
	}

	private static String jobId(RequestDetails request) {
		String[] values = request.getParameters().get("_jobId");
		if (values != null && values.length > 0) {
			return values[0];
		}
		if (request.getResource() instanceof Parameters body) {
			return body.getParameter().stream().filter(p -> "_jobId".equals(p.getName()))
					.map(p -> p.getValue() == null ? null : p.getValue().primitiveValue()).findFirst().orElse(null);
		}
		return null;
	}

	private static Optional<CallerIdentity> caller(RequestDetails request) {
		return request instanceof ServletRequestDetails servlet
				? CallerIdentity.of(servlet.getServletRequest())
				: Optional.empty();
	}
}

package org.bonemarrow.server.bulk;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.bulk.BulkExportJobParameters;
import ca.uhn.fhir.rest.api.server.bulk.BulkExportJobParameters.ExportStyle;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bonemarrow.server.security.CallerIdentity;
import org.bonemarrow.server.security.SmartScopes;
import org.hl7.fhir.r4.model.Parameters;

/**
 * Decides an {@code $export} kick-off before HAPI starts its job (STORAGE_PRE_INITIATE_BULK_EXPORT, after HAPI
 * filled in the default types and before the AuthorizationInterceptor's bulk export rule, which checks the
 * same again):
 * <ul>
 *   <li>Every exported type needs the caller's read scope ({@code r}). AuditEvent only with a scope naming it,
 *       never through {@code system/*} ({@link SmartScopes#PROTECTED_TYPES}).</li>
 *   <li>Without {@code _type} the export holds the types the caller may read (HAPI's default, narrowed): the
 *       Bulk Data IG lets a server export "all supported resources" the client is authorised for. With
 *       {@code _type}, a type the caller may not read is a 403 naming it.</li>
 *   <li>Binary is never exported: the export files are Binaries themselves, and a lab's report PDFs are
 *       downloaded one by one (Binary.r).</li>
 *   <li>{@code _typeFilter} is refused (400): its searches could reach types outside the scopes unseen by
 *       the search guard. The IG makes it optional.</li>
 *   <li>Group export needs Group read (the members are read from it), Patient export needs Patient read.</li>
 *   <li>The output files carry the client as {@code Binary.securityContext.identifier} (HAPI writes it), the
 *       one record of who may poll and download ({@link ExportOwnership}).</li>
 * </ul>
 */
@Interceptor
public class BulkExportGate {

	/** Binary.securityContext.identifier.system of every export file; the value is the requesting client. */
	public static final String OWNER_SYSTEM = "https://bonemarrow-exam.example/fhir/sid/bulk-export-owner";
	/** Request user data: the parameters of the export this request started (for the audit). */
	static final String STARTED = BulkExportGate.class.getName() + ".started";

	@Hook(Pointcut.STORAGE_PRE_INITIATE_BULK_EXPORT)
	public void kickOff(BulkExportJobParameters parameters, ServletRequestDetails request) {
		Optional<CallerIdentity> caller = CallerIdentity.of(request.getServletRequest());
		if (caller.isEmpty()) {
			return; // security off (stock mode): HAPI's behaviour
		}
		CallerIdentity who = caller.get();
		SmartScopes scopes = who.scopes();
		if (given(request, "_typeFilter") || given(request, "_typePostFetchFilterUrl")) {
			throw new InvalidRequestException("_typeFilter is not supported by this server: export whole types"
					+ " (_type, _since) and filter the NDJSON");
		}
		if (parameters.getExportStyle() == ExportStyle.GROUP && !scopes.permits("Group", 'r')) {
			throw refused(who, "may not export a Group's data: it has no read scope for Group (system/Group.r)");
		}
		if (parameters.getExportStyle() == ExportStyle.PATIENT && !scopes.permits("Patient", 'r')) {
			throw refused(who, "may not export patients' data: it has no read scope for Patient (system/Patient.r)");
		}
		List<String> types = new ArrayList<>(parameters.getResourceTypes());
		if (given(request, "_type")) {
			for (String type : types) {
				if ("Binary".equals(type)) {
					throw refused(who, "may not export Binary: export files are Binaries, documents are read one by one");
				}
				if (!scopes.permits(type, 'r')) {
					throw refused(who, "may not export " + type + ": it has no read scope for " + type
							+ " (system/" + type + ".r)");
				}
			}
		} else {
			types.removeIf(type -> "Binary".equals(type) || !scopes.permits(type, 'r'));
			if (types.isEmpty()) {
				throw refused(who, "may not export: it has no read scope for any type this export holds");
			}
			parameters.setResourceTypes(types);
		}
		parameters.setBinarySecurityContextIdentifierSystem(OWNER_SYSTEM);
		parameters.setBinarySecurityContextIdentifierValue(who.clientId());
		request.getUserData().put(STARTED, parameters);
	}

	/** In the query string, or in a POSTed Parameters body. */
	private static boolean given(ServletRequestDetails request, String name) {
		String[] values = request.getParameters().get(name);
		if (values != null && values.length > 0) {
			return true;
		}
		return request.getResource() instanceof Parameters body && body.getParameter().stream()
				.anyMatch(p -> name.equals(p.getName()));
	}

	static ForbiddenOperationException refused(CallerIdentity who, String why) {
		return new ForbiddenOperationException("Access denied: client '" + who.clientId() + "' " + why
				+ ". Granted: " + who.scopes());
	}
}

package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.ErrorCode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bonemarrow.server.security.CallerIdentity;

/**
 * A message is accepted only when the sender's SMART scopes permit every FHIR write it implies, the same
 * scopes that would be needed to post the mapped resources over FHIR: an order message creates or matches
 * the Patient and creates or revokes the ServiceRequest (Patient and ServiceRequest: c and u); a result
 * message creates the DiagnosticReport, its Observations and Specimens (c), and a correction updates the
 * report and its results (DiagnosticReport and Observation: u). Otherwise AR, ERR-3 207, with the missing
 * scopes named; nothing is stored. Pure.
 */
public final class V2Authorization {

	/** A resource type and the SMART interaction letters needed on it. */
	public record Need(String resourceType, String interactions) {}

	public static final List<Need> ORDER = List.of(new Need("Patient", "cu"), new Need("ServiceRequest", "cu"));
	public static final List<Need> RESULT = List.of(
			new Need("DiagnosticReport", "c"), new Need("Observation", "c"), new Need("Specimen", "c"));
	public static final List<Need> RESULT_CORRECTION = List.of(new Need("DiagnosticReport", "u"), new Need("Observation", "u"));

	private V2Authorization() {}

	/** Refuses (AR) unless the caller's scopes grant every need. */
	public static void require(CallerIdentity caller, String messageType, List<Need> needs) {
		Map<String, StringBuilder> missing = new LinkedHashMap<>();
		for (Need need : needs) {
			for (char c : need.interactions().toCharArray()) {
				if (!caller.scopes().permits(need.resourceType(), c)) {
					missing.computeIfAbsent(need.resourceType(), t -> new StringBuilder()).append(c);
				}
			}
		}
		if (!missing.isEmpty()) {
			StringBuilder scopes = new StringBuilder();
			missing.forEach((type, letters) -> scopes.append(scopes.length() == 0 ? "" : " ")
					.append("system/").append(type).append('.').append(letters));
			throw V2Rejection.reject(ErrorCode.APPLICATION_INTERNAL_ERROR, null, 0, "Sender " + caller.clientId()
					+ " is not authorised for " + messageType + ": it lacks the SMART scopes " + scopes);
		}
	}
}

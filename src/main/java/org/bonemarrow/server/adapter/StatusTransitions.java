package org.bonemarrow.server.adapter;

import java.util.Map;
import java.util.Set;

/**
 * The FHIR R4 state machines the adapter enforces, as "from -> allowed next statuses" (codes as on the
 * wire). Staying in the same status is always allowed (an update that changes other elements).
 * Terminal statuses have no successor except entered-in-error, the FHIR way of retracting a mistake.
 */
public final class StatusTransitions {

	/** ServiceRequest: request-status (draft, active, on-hold, revoked, completed, entered-in-error). */
	static final Map<String, Set<String>> SERVICE_REQUEST = Map.of(
			"draft", Set.of("active", "revoked", "entered-in-error"),
			"active", Set.of("on-hold", "revoked", "completed", "entered-in-error"),
			"on-hold", Set.of("active", "revoked", "entered-in-error"),
			"completed", Set.of("entered-in-error"),
			"revoked", Set.of("entered-in-error"),
			"entered-in-error", Set.of());

	/** Procedure: event-status. */
	static final Map<String, Set<String>> PROCEDURE = Map.of(
			"preparation", Set.of("in-progress", "not-done", "on-hold", "stopped", "completed", "entered-in-error"),
			"in-progress", Set.of("on-hold", "stopped", "completed", "entered-in-error"),
			"on-hold", Set.of("in-progress", "stopped", "not-done", "entered-in-error"),
			"stopped", Set.of("entered-in-error"),
			"completed", Set.of("entered-in-error"),
			"not-done", Set.of("entered-in-error"),
			"entered-in-error", Set.of());

	/** Task: the Task state machine of FHIR R4 (task.html#statemachine). */
	static final Map<String, Set<String>> TASK = Map.ofEntries(
			Map.entry("draft", Set.of("requested", "cancelled", "entered-in-error")),
			Map.entry("requested", Set.of("received", "accepted", "rejected", "ready", "in-progress", "cancelled", "completed", "entered-in-error")),
			Map.entry("received", Set.of("accepted", "rejected", "ready", "in-progress", "cancelled", "completed", "entered-in-error")),
			Map.entry("accepted", Set.of("ready", "in-progress", "cancelled", "completed", "entered-in-error")),
			Map.entry("ready", Set.of("in-progress", "cancelled", "completed", "failed", "entered-in-error")),
			Map.entry("in-progress", Set.of("on-hold", "completed", "failed", "cancelled", "entered-in-error")),
			Map.entry("on-hold", Set.of("in-progress", "cancelled", "failed", "entered-in-error")),
			Map.entry("completed", Set.of("entered-in-error")),
			Map.entry("cancelled", Set.of("entered-in-error")),
			Map.entry("failed", Set.of("entered-in-error")),
			Map.entry("rejected", Set.of("entered-in-error")),
			Map.entry("entered-in-error", Set.of()));

	/** DiagnosticReport: final may only be amended (corrected, appended) or retracted. */
	static final Map<String, Set<String>> DIAGNOSTIC_REPORT = Map.of(
			"registered", Set.of("partial", "preliminary", "final", "cancelled", "entered-in-error"),
			"partial", Set.of("preliminary", "final", "cancelled", "entered-in-error"),
			"preliminary", Set.of("partial", "final", "cancelled", "entered-in-error"),
			"final", Set.of("amended", "corrected", "appended", "entered-in-error"),
			"amended", Set.of("corrected", "appended", "entered-in-error"),
			"corrected", Set.of("amended", "appended", "entered-in-error"),
			"appended", Set.of("amended", "corrected", "entered-in-error"),
			"cancelled", Set.of("entered-in-error"),
			"entered-in-error", Set.of());

	private static final Map<String, Map<String, Set<String>>> BY_TYPE = Map.of(
			"ServiceRequest", SERVICE_REQUEST,
			"Procedure", PROCEDURE,
			"Task", TASK,
			"DiagnosticReport", DIAGNOSTIC_REPORT);

	private StatusTransitions() {}

	/** Whether the resource type's status may go from {@code from} to {@code to}; unknown types are free. */
	public static boolean isAllowed(String resourceType, String from, String to) {
		Map<String, Set<String>> machine = BY_TYPE.get(resourceType);
		if (machine == null || from == null || to == null || from.equals(to)) {
			return true;
		}
		Set<String> next = machine.get(from);
		return next != null && next.contains(to);
	}

	public static boolean isGoverned(String resourceType) {
		return BY_TYPE.containsKey(resourceType);
	}

	/** Task statuses after which the fulfilment is over. */
	public static boolean isTerminalTask(String status) {
		return TASK.getOrDefault(status, Set.of()).stream().allMatch("entered-in-error"::equals);
	}
}

package org.bonemarrow.server.console.turnaround;

import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;

/**
 * What is stored about one exam, reduced to its moments. A time that is not stored is null ("unknown"),
 * never a guess.
 *
 * @param orderId          {@code ServiceRequest/<id>}
 * @param exam             the order's code text or display
 * @param patientReference {@code Patient/<id>}, or null
 * @param patientName      HumanName.text, else given and family; null when unknown. Only pages that may show
 *                         names show it.
 * @param orderStatus      ServiceRequest.status code (active, completed, revoked, ...)
 * @param recorded         when the order was last stored (meta.lastUpdated); stands in for a missing order time
 *                         only in the "no report" age, never in turnaround
 * @param times            the known milestones
 * @param reports          how many DiagnosticReports are based on the order (any status)
 * @param amended          a report based on the order was amended, corrected or appended
 */
public record ExamTimeline(String orderId, String exam, String patientReference, String patientName,
		String orderStatus, Instant recorded, Map<Milestone, Instant> times, int reports, boolean amended) {

	public ExamTimeline {
		EnumMap<Milestone, Instant> copy = new EnumMap<>(Milestone.class);
		times.forEach((k, v) -> {
			if (v != null) {
				copy.put(k, v);
			}
		});
		times = java.util.Collections.unmodifiableMap(copy);
	}

	/** The time of a milestone, or null when it is not known (not happened yet, or not stored). */
	public Instant at(Milestone m) {
		return times.get(m);
	}

	/** Some milestone after {@code m} is known: the exam has moved past it, whether or not its time is stored. */
	public boolean hasLaterThan(Milestone m) {
		return times.keySet().stream().anyMatch(k -> k.ordinal() > m.ordinal());
	}

	/** The order was revoked or entered in error (ServiceRequest.status): nothing more is awaited. */
	public boolean cancelled() {
		return "revoked".equals(orderStatus) || "entered-in-error".equals(orderStatus);
	}

	/** A final (or amended) report is in, or the order itself says it is completed. */
	public boolean complete() {
		return !cancelled() && (at(Milestone.FINAL) != null || "completed".equals(orderStatus));
	}

	/** The order id without the type: {@code 12}. */
	public String orderIdPart() {
		return orderId.substring(orderId.indexOf('/') + 1);
	}
}

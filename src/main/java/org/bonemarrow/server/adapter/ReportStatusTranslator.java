package org.bonemarrow.server.adapter;

import java.util.Optional;
import org.hl7.fhir.r4.model.DiagnosticReport.DiagnosticReportStatus;
import org.hl7.fhir.r4.model.ServiceRequest.ServiceRequestStatus;
import org.hl7.fhir.r4.model.Task.TaskStatus;

/**
 * What a report's status means for the order's fulfilment: a preliminary (or partial) report shows the
 * lab is working on it; a final report completes the Task and the order; an amendment leaves both
 * completed (the orderer is told again by the Subscription on the report itself).
 */
public final class ReportStatusTranslator {

	private ReportStatusTranslator() {}

	/** The Task status the report calls for, or empty when the report does not move the Task. */
	public static Optional<TaskStatus> taskStatusFor(DiagnosticReportStatus report) {
		if (report == null) {
			return Optional.empty();
		}
		return switch (report) {
			case REGISTERED, PARTIAL, PRELIMINARY -> Optional.of(TaskStatus.INPROGRESS);
			case FINAL, AMENDED, CORRECTED, APPENDED -> Optional.of(TaskStatus.COMPLETED);
			default -> Optional.empty();
		};
	}

	/** The order status the report calls for, or empty when the order stays as it is. */
	public static Optional<ServiceRequestStatus> orderStatusFor(DiagnosticReportStatus report) {
		if (report == null) {
			return Optional.empty();
		}
		return switch (report) {
			case FINAL, AMENDED, CORRECTED, APPENDED -> Optional.of(ServiceRequestStatus.COMPLETED);
			default -> Optional.empty();
		};
	}

	/** Amendments are the one kind of report a completed (closed) order still accepts. */
	public static boolean isAmendment(DiagnosticReportStatus report) {
		return report == DiagnosticReportStatus.AMENDED
				|| report == DiagnosticReportStatus.CORRECTED
				|| report == DiagnosticReportStatus.APPENDED;
	}

	/**
	 * Whether the Task may move from {@code current} to {@code target}: only forwards, never out of a
	 * terminal status (a late preliminary report must not reopen a completed Task).
	 */
	public static boolean shouldMoveTask(TaskStatus current, TaskStatus target) {
		if (current == null || target == null || current == target) {
			return false;
		}
		return StatusTransitions.isAllowed("Task", current.toCode(), target.toCode());
	}
}

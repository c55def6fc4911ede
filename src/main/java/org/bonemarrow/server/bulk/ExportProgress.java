package org.bonemarrow.server.bulk;

import ca.uhn.fhir.batch2.api.IJobMaintenanceService;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RequestTypeEnum;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import java.time.Duration;

/**
 * A batch2 job moves from step to step (queued, ids, files, report) only in HAPI's maintenance pass, which runs
 * on a schedule ({@code bonemarrow.bulk-export.maintenance-interval}); a small export waited a whole interval
 * per step (measured: 30-40 s at 10 s). A kick-off and every poll of an export still running ask for a pass
 * now, so an export moves on as fast as its client polls, and no faster. The Retry-After of a 202 poll is the
 * interval instead of HAPI's fixed 120 s (Bulk Data IG: the client should honour it).
 */
@Interceptor
public class ExportProgress {

	private final IJobMaintenanceService maintenance;
	private final String retryAfterSeconds;

	public ExportProgress(IJobMaintenanceService maintenance, Duration interval) {
		this.maintenance = maintenance;
		this.retryAfterSeconds = Long.toString(Math.max(1, interval.toSeconds()));
	}

	@Hook(Pointcut.SERVER_PROCESSING_COMPLETED_NORMALLY)
	public void completed(ServletRequestDetails request) {
		String operation = request.getOperation();
		if (request.getServletResponse().getStatus() != 202 || request.getRequestType() == RequestTypeEnum.DELETE
				|| !("$export".equals(operation) || "$export-poll-status".equals(operation))) {
			return;
		}
		if ("$export-poll-status".equals(operation) && !request.getServletResponse().isCommitted()) {
			request.getServletResponse().setHeader("Retry-After", retryAfterSeconds);
		}
		maintenance.triggerMaintenancePass();
	}
}

package org.bonemarrow.server.v2;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.CanonicalType;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Results out over HL7 v2, the trigger: when a bone marrow report is stored with a new status (created, or
 * its status changed) or is corrected again (a further amended/corrected version), the configured v2
 * receivers are sent an ORU^R01. Hooked on HAPI's JPA interceptor service before commit, it only notes the
 * report version; the delivery is queued after the commit ({@link TransactionSynchronization#afterCommit}),
 * so a rolled-back write sends nothing and each committed version is queued exactly once, by the instance
 * that stored it. FHIR rest-hook Subscriptions are untouched and still notify their own subscribers.
 *
 * <p>Not HAPI's subscription machinery: its delivery channels speak FHIR (rest-hook, websocket, e-mail,
 * FHIR messaging), and an MLLP channel would mean a custom delivery subscriber inside HAPI's channel
 * plumbing for what is one hook and one queue here.
 */
@Component
@Interceptor
public class V2ResultPublisher {

	static final Set<String> REPORT_CODES = Set.of("http://loinc.org|48807-2", "http://loinc.org|33721-2");
	static final Set<DiagnosticReport.DiagnosticReportStatus> AMENDMENTS = Set.of(
			DiagnosticReport.DiagnosticReportStatus.AMENDED, DiagnosticReport.DiagnosticReportStatus.CORRECTED,
			DiagnosticReport.DiagnosticReportStatus.APPENDED);

	private final V2OutboundSender sender;

	public V2ResultPublisher(IInterceptorService jpaInterceptors, V2Properties properties, V2OutboundSender sender) {
		this.sender = sender;
		if (!properties.receivers().isEmpty()) {
			jpaInterceptors.registerInterceptor(this);
		}
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED)
	public void created(IBaseResource resource) {
		consider(null, resource);
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED)
	public void updated(IBaseResource oldResource, IBaseResource newResource) {
		consider(oldResource, newResource);
	}

	private void consider(IBaseResource oldResource, IBaseResource newResource) {
		if (!(newResource instanceof DiagnosticReport report) || !isBoneMarrowReport(report)
				|| !worthSending(oldResource instanceof DiagnosticReport old ? old : null, report)) {
			return;
		}
		IIdType version = report.getIdElement().toUnqualified();
		String status = report.getStatus().toCode();
		if (TransactionSynchronizationManager.isSynchronizationActive()) {
			TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
				@Override
				public void afterCommit() {
					sender.enqueue(version, status);
				}
			});
		} else {
			sender.enqueue(version, status);
		}
	}

	/** Claims bme-exam-report, or carries one of its report codes. */
	static boolean isBoneMarrowReport(DiagnosticReport report) {
		for (CanonicalType profile : report.getMeta().getProfile()) {
			if (ResultMessageMapper.REPORT_PROFILE.equals(profile.getValue())) {
				return true;
			}
		}
		for (Coding c : report.getCode().getCoding()) {
			if (REPORT_CODES.contains(c.getSystem() + "|" + c.getCode())) {
				return true;
			}
		}
		return false;
	}

	/** New, or a new status, or one more amendment of an amended report; not a same-status rewrite of a final one. */
	static boolean worthSending(DiagnosticReport old, DiagnosticReport report) {
		if (report.getStatus() == null) {
			return false;
		}
		if (old == null || old.getStatus() != report.getStatus()) {
			return true;
		}
		return AMENDMENTS.contains(report.getStatus());
	}
}

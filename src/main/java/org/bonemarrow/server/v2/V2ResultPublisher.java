package org.bonemarrow.server.v2;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import java.util.Set;
import org.bonemarrow.server.delivery.DeliveryChannel;
import org.bonemarrow.server.delivery.DeliveryOutbox;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.CanonicalType;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.springframework.stereotype.Component;

/**
 * Results out over HL7 v2, the trigger: when a bone marrow report is stored with a new status (created, or
 * its status changed) or is corrected again (a further amended/corrected version), the configured v2
 * receivers are sent an ORU^R01. Hooked on HAPI's JPA interceptor service before commit, it queues one
 * delivery per receiver in the durable outbox, in the write's own transaction: a rolled-back write sends
 * nothing, and a committed one is owed even if the process dies the next moment. The outbox's dispatcher
 * then sends it ({@link V2OutboundSender}). FHIR rest-hook Subscriptions are queued the same way by their
 * own writer.
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

	private final V2Properties properties;
	private final DeliveryOutbox outbox;

	public V2ResultPublisher(IInterceptorService jpaInterceptors, V2Properties properties, DeliveryOutbox outbox) {
		this.properties = properties;
		this.outbox = outbox;
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
		for (V2Properties.Receiver receiver : properties.receivers()) {
			if (receiver.statuses().contains(status)) {
				outbox.enqueue(DeliveryChannel.HL7V2, receiver.id(), version, oldResource == null ? "CREATE" : "UPDATE", false);
			}
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

	/**
	 * New, or a new status, or one more amendment of an amended report, or a report whose documents
	 * (presentedForm) changed; not a same-status rewrite of a final one. Many laboratories release the
	 * results first and the signed PDF a little later, on the same final report: the orderer gets the PDF then.
	 */
	static boolean worthSending(DiagnosticReport old, DiagnosticReport report) {
		if (report.getStatus() == null) {
			return false;
		}
		if (old == null || old.getStatus() != report.getStatus()) {
			return true;
		}
		return AMENDMENTS.contains(report.getStatus()) || !sameDocuments(old, report);
	}

	private static boolean sameDocuments(DiagnosticReport old, DiagnosticReport report) {
		var before = old.getPresentedForm();
		var after = report.getPresentedForm();
		if (before.size() != after.size()) {
			return false;
		}
		for (int i = 0; i < before.size(); i++) {
			if (!before.get(i).equalsDeep(after.get(i))) {
				return false;
			}
		}
		return true;
	}
}

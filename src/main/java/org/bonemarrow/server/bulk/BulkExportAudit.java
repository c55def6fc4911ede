package org.bonemarrow.server.bulk;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RequestTypeEnum;
import ca.uhn.fhir.rest.api.server.bulk.BulkExportJobParameters;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import java.util.Date;
import java.util.Optional;
import org.bonemarrow.server.security.CallerIdentity;
import org.bonemarrow.server.security.audit.AuditEvents;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAction;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventOutcome;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.StringType;
import org.bonemarrow.server.security.audit.AuditTrail;

/**
 * One AuditEvent per export started or cancelled (refused kick-offs are recorded like every refusal, by
 * FailedInteractionAudit; each file downloaded is a Binary read, recorded by BALP):
 * <ul>
 *   <li>type DICOM 110106 "Export" (http://dicom.nema.org/resources/ontology/DCM), the counterpart of the
 *       110107 "Import" of an inbound HL7 v2 message; subtype {@code operation} (restful-interaction) and the
 *       Bulk Data OperationDefinition that was run (export, patient-export, group-export);</li>
 *   <li>agent: the client; entities: the job (its id as identifier), the Group or Patients exported, and one
 *       per exported type, with {@code _since} and {@code _outputFormat} as details of the job.</li>
 * </ul>
 * Nothing of the exported data is named: types and ids only.
 */
@Interceptor
public class BulkExportAudit {

	static final String JOB_ID_SYSTEM = "https://bonemarrow-exam.example/fhir/sid/bulk-export-job";
	private static final Coding EXPORT = new Coding("http://dicom.nema.org/resources/ontology/DCM", "110106", "Export");
	private static final String INTERACTION_SYSTEM = "http://hl7.org/fhir/restful-interaction";
	private static final String BULK_DATA = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition";

	private final AuditTrail trail;

	public BulkExportAudit(AuditTrail trail) {
		this.trail = trail;
	}

	@Hook(Pointcut.SERVER_PROCESSING_COMPLETED_NORMALLY)
	public void completed(ServletRequestDetails request) {
		Optional<CallerIdentity> caller = CallerIdentity.of(request.getServletRequest());
		int status = request.getServletResponse().getStatus();
		if (caller.isEmpty() || status != 202) {
			return;
		}
		if (request.getUserData().get(BulkExportGate.STARTED) instanceof BulkExportJobParameters parameters) {
			String location = request.getServletResponse().getHeader("Content-Location");
			trail.recordAuditEvent(started(caller.get().clientId(), parameters, jobId(location)));
		} else if ("$export-poll-status".equals(request.getOperation())
				&& request.getRequestType() == RequestTypeEnum.DELETE) {
			String[] job = request.getParameters().get("_jobId");
			trail.recordAuditEvent(cancelled(caller.get().clientId(), job == null ? null : job[0]));
		}
	}

	static AuditEvent started(String clientId, BulkExportJobParameters parameters, String jobId) {
		String definition = switch (parameters.getExportStyle()) {
			case PATIENT -> "patient-export";
			case GROUP -> "group-export";
			default -> "export";
		};
		AuditEvent event = base(clientId, definition, "Bulk Data $export started");
		AuditEvent.AuditEventEntityComponent job = jobEntity(event, jobId);
		if (parameters.getSince() != null) {
			job.addDetail().setType("_since").setValue(new StringType(
					new InstantType(parameters.getSince()).getValueAsString()));
		}
		if (parameters.getOutputFormat() != null) {
			job.addDetail().setType("_outputFormat").setValue(new StringType(parameters.getOutputFormat()));
		}
		if (parameters.getGroupId() != null) {
			event.addEntity().setWhat(new Reference(parameters.getGroupId()));
		}
		for (String patient : parameters.getPatientIds()) {
			event.addEntity().setWhat(new Reference(patient));
		}
		for (String type : parameters.getResourceTypes()) {
			event.addEntity().setWhat(new Reference().setType(type).setDisplay("exported type " + type));
		}
		return event;
	}

	static AuditEvent cancelled(String clientId, String jobId) {
		AuditEvent event = base(clientId, "export", "Bulk Data $export cancelled");
		jobEntity(event, jobId);
		return event;
	}

	private static AuditEvent base(String clientId, String definition, String description) {
		AuditEvent event = new AuditEvent();
		event.setType(EXPORT.copy());
		event.addSubtype(new Coding(INTERACTION_SYSTEM, "operation", "operation"));
		// The OperationDefinition's canonical url as system, its id as code: which of the three was run.
		event.addSubtype(new Coding(BULK_DATA + "/" + definition, definition, "$export"));
		event.setAction(AuditEventAction.E);
		event.setRecorded(new Date());
		event.setOutcome(AuditEventOutcome._0);
		event.setOutcomeDesc(description);
		event.addAgent().setRequestor(true).setWho(AuditEvents.client(clientId)).setName(clientId);
		event.getSource().setObserver(new Reference().setDisplay(AuditEvents.OBSERVER));
		return event;
	}

	private static AuditEvent.AuditEventEntityComponent jobEntity(AuditEvent event, String jobId) {
		return event.addEntity().setWhat(new Reference()
				.setIdentifier(new Identifier().setSystem(JOB_ID_SYSTEM).setValue(jobId))
				.setDisplay("bulk export job " + jobId));
	}

	/** {@code .../fhir/$export-poll-status?_jobId=<id>} -> the id. */
	static String jobId(String contentLocation) {
		if (contentLocation == null) {
			return null;
		}
		int at = contentLocation.indexOf("_jobId=");
		return at < 0 ? null : contentLocation.substring(at + "_jobId=".length()).split("&")[0];
	}
}

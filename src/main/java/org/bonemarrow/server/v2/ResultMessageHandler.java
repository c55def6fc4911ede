package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.ErrorCode;
import ca.uhn.hl7v2.model.v251.message.ORU_R01;
import java.util.ArrayList;
import java.util.List;
import org.bonemarrow.server.security.CallerIdentity;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.springframework.stereotype.Component;

/**
 * Applies an ORU^R01: finds the exam order of each OBR by its placer order number (else its filler order
 * number), checks that PID-3 is that order's patient, and runs the one transaction built by
 * {@link ResultMessageMapper}. The adapter's ReportUpdatesOrderAndTask then checks and moves the order and
 * its Task exactly as for a report posted over FHIR (and refuses a report for a revoked order). A result for
 * an order the server does not know is refused with AE 204: results never create orders or patients.
 */
@Component
public class ResultMessageHandler {

	private final V2Transactions transactions;

	public ResultMessageHandler(V2Transactions transactions) {
		this.transactions = transactions;
	}

	public void handle(ORU_R01 message, CallerIdentity caller, String messageType) {
		List<ResultMessageMapper.ReportKey> keys = ResultMessageMapper.keys(message);
		List<ResultMessageMapper.OrderLink> links = new ArrayList<>();
		boolean correction = false;
		for (ResultMessageMapper.ReportKey key : keys) {
			ServiceRequest order = findOrder(key, caller);
			Patient patient = order.getSubject().getReferenceElement().hasIdPart()
					? transactions.read(Patient.class, order.getSubject().getReferenceElement(), caller).orElse(null)
					: null;
			if (patient == null || !OrderMessageHandler.hasMrn(patient.getIdentifier(), key.mrn())) {
				throw V2Rejection.error(ErrorCode.UNKNOWN_KEY_IDENTIFIER, "PID", 3,
						"PID-3 does not identify the patient of the order named in OBR-2; the results were not stored");
			}
			links.add(new ResultMessageMapper.OrderLink(
					order.getIdElement().toUnqualifiedVersionless().getValue(),
					patient.getIdElement().toUnqualifiedVersionless().getValue()));
			correction |= !transactions.byIdentifier(DiagnosticReport.class, V2Codes.FILLER_SYSTEM, key.fillerNumber(), caller)
					.isEmpty();
		}
		if (correction) {
			V2Authorization.require(caller, messageType, V2Authorization.RESULT_CORRECTION);
		}
		transactions.run(ResultMessageMapper.transaction(message, links), caller);
	}

	private ServiceRequest findOrder(ResultMessageMapper.ReportKey key, CallerIdentity caller) {
		if (key.placerNumber() != null) {
			List<ServiceRequest> byPlacer = transactions.byIdentifier(ServiceRequest.class, V2Codes.PLACER_SYSTEM,
					key.placerNumber(), caller);
			if (!byPlacer.isEmpty()) {
				return byPlacer.get(0);
			}
		}
		List<ServiceRequest> byFiller = transactions.byIdentifier(ServiceRequest.class, V2Codes.FILLER_SYSTEM,
				key.fillerNumber(), caller);
		if (!byFiller.isEmpty()) {
			return byFiller.get(0);
		}
		throw V2Rejection.error(ErrorCode.UNKNOWN_KEY_IDENTIFIER, "OBR", 2, "OBR-2/OBR-3: no exam order with this placer "
				+ "or filler order number is stored; results are accepted only for orders the server knows");
	}
}

package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.ErrorCode;
import ca.uhn.hl7v2.model.v251.message.ORU_R01;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bonemarrow.server.security.CallerIdentity;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Specimen;
import org.springframework.stereotype.Component;

/**
 * Applies an ORU^R01: finds the exam order of each OBR by its placer order number (else its filler order
 * number), checks that PID-3 is that order's patient, and runs the one transaction built by
 * {@link ResultMessageMapper}. The adapter's ReportUpdatesOrderAndTask then checks and moves the order and
 * its Task exactly as for a report posted over FHIR (and refuses a report for a revoked order). A result for
 * an order the server does not know is refused with AE 204: results never create orders or patients.
 *
 * <p>The mapper's report and results are conditional updates on identifiers the sender chooses (OBR-3, and
 * OBR-3 + OBX-3 + OBX-4), and its specimens conditional creates on SPM-2. Left alone, a filler number that
 * is already another order's would rewrite that order's report and findings as this patient's, and a
 * specimen id already another patient's would link this report to that patient's specimen. So before the
 * transaction runs, every resource it would match is looked up: one that belongs to another order or
 * patient is refused with AE 205 (duplicate key), and nothing is stored. A correction (OBR-25 C) of the
 * same order and patient matches only its own report and results, and goes through.
 */
@Component
public class ResultMessageHandler {

	private final V2Transactions transactions;
	private final V2CodeMaps codeMaps;

	public ResultMessageHandler(V2Transactions transactions, V2CodeMaps codeMaps) {
		this.transactions = transactions;
		this.codeMaps = codeMaps;
	}

	/** Stores the message's reports whole or not at all; returns what was stored without being recognised. */
	public List<V2Warning> handle(ORU_R01 message, CallerIdentity caller, String messageType) {
		List<ResultMessageMapper.ReportKey> keys = ResultMessageMapper.keys(message);
		List<ResultMessageMapper.OrderLink> links = new ArrayList<>();
		Map<String, ServiceRequest> orders = new LinkedHashMap<>();
		for (ResultMessageMapper.ReportKey key : keys) {
			ServiceRequest order = findOrder(key, caller);
			orders.putIfAbsent(order.getIdElement().toUnqualifiedVersionless().getValue(), order);
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
		}
		// Code maps: MSH-3 names the sending application over both transports (over HTTP the token decides
		// what it may write; MSH-3 only which code maps read its codes).
		String sender = V2Fields.text(message.getMSH().getSendingApplication().getNamespaceID());
		ResultMessageMapper.Mapped mapped = ResultMessageMapper.map(message, links, codeMaps.forSender(sender));
		Bundle transaction = mapped.transaction();
		// The exam record is read only for an order whose Specimen has a gap to fill.
		Map<String, SpecimenGaps.Exam> exams = new LinkedHashMap<>();
		SpecimenGaps.fill(transaction, (String ref) -> orders.containsKey(ref)
				? exams.computeIfAbsent(ref, r -> exam(orders.get(r), r, caller)) : null);
		boolean correction = refuseWhatBelongsElsewhere(transaction, caller);
		if (correction) {
			V2Authorization.require(caller, messageType, V2Authorization.RESULT_CORRECTION);
		}
		transactions.run(transaction, caller);
		return mapped.warnings();
	}

	/**
	 * Looks up what each conditional entry of the transaction would match and refuses the message if any of
	 * it is another order's or another patient's. The ERR-8 texts name fields only, never the identifiers,
	 * the other patient or the other order.
	 *
	 * @return whether a stored report would be replaced (a correction, which needs update scopes)
	 */
	boolean refuseWhatBelongsElsewhere(Bundle transaction, CallerIdentity caller) {
		boolean replacesReport = false;
		for (Bundle.BundleEntryComponent entry : transaction.getEntry()) {
			Resource resource = entry.getResource();
			if (resource instanceof DiagnosticReport report) {
				String filler = identifier(report.getIdentifier(), V2Codes.FILLER_SYSTEM);
				for (DiagnosticReport stored : transactions.byIdentifier(DiagnosticReport.class, V2Codes.FILLER_SYSTEM,
						filler, caller)) {
					if (!sameTarget(stored.getSubject(), report.getSubject())
							|| !refersTo(stored.getBasedOn(), report.getBasedOnFirstRep())) {
						throw V2Rejection.error(ErrorCode.DUPLICATE_KEY_IDENTIFIER, "OBR", 3, "OBR-3: this filler order "
								+ "number already identifies a stored report of another order; a filler order number "
								+ "belongs to one order (a correction must name the same order and patient); nothing was stored");
					}
					replacesReport = true;
				}
			} else if (resource instanceof Observation result) {
				String id = identifier(result.getIdentifier(), V2Codes.RESULT_SYSTEM);
				for (Observation stored : transactions.byIdentifier(Observation.class, V2Codes.RESULT_SYSTEM, id, caller)) {
					if (!sameTarget(stored.getSubject(), result.getSubject())
							|| !refersTo(stored.getBasedOn(), result.getBasedOnFirstRep())) {
						throw V2Rejection.error(ErrorCode.DUPLICATE_KEY_IDENTIFIER, "OBR", 3, "OBR-3/OBX-3/OBX-4: a "
								+ "stored result of another order already has the identifier made from this filler order "
								+ "number, code and sub-id; nothing was stored");
					}
				}
			} else if (resource instanceof Specimen specimen) {
				String id = identifier(specimen.getIdentifier(), V2Codes.SPECIMEN_SYSTEM);
				for (Specimen stored : transactions.byIdentifier(Specimen.class, V2Codes.SPECIMEN_SYSTEM, id, caller)) {
					if (!sameTarget(stored.getSubject(), specimen.getSubject())) {
						throw V2Rejection.error(ErrorCode.DUPLICATE_KEY_IDENTIFIER, "SPM", 2, "SPM-2: this specimen id "
								+ "already identifies a specimen of another patient; nothing was stored");
					}
				}
			}
		}
		return replacesReport;
	}

	private static String identifier(List<Identifier> identifiers, String system) {
		return identifiers.stream().filter(i -> system.equals(i.getSystem())).map(Identifier::getValue).findFirst()
				.orElseThrow(() -> new IllegalStateException("The mapper always sets the " + system + " identifier"));
	}

	private static boolean refersTo(List<Reference> stored, Reference expected) {
		return stored.stream().anyMatch(r -> sameTarget(r, expected));
	}

	/** Both references name the same resource (type and id, whatever the version or base). */
	static boolean sameTarget(Reference a, Reference b) {
		if (a == null || b == null || !a.hasReference() || !b.hasReference()) {
			return false;
		}
		IdType x = new IdType(a.getReference()).toUnqualifiedVersionless();
		IdType y = new IdType(b.getReference()).toUnqualifiedVersionless();
		return x.hasIdPart() && x.getValue().equals(y.getValue());
	}

	/** What the server holds about the order's exam, for {@link SpecimenGaps}: its Procedures and stored Specimens. */
	private SpecimenGaps.Exam exam(ServiceRequest order, String ref, CallerIdentity caller) {
		return new SpecimenGaps.Exam(order,
				transactions.referring(Procedure.class, "based-on", ref, caller),
				transactions.referring(Specimen.class, "request", ref, caller));
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

package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.ErrorCode;
import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.model.v251.datatype.CE;
import ca.uhn.hl7v2.model.v251.datatype.FT;
import ca.uhn.hl7v2.model.v251.datatype.XCN;
import ca.uhn.hl7v2.model.v251.datatype.XPN;
import ca.uhn.hl7v2.model.v251.group.OML_O21_ORDER;
import ca.uhn.hl7v2.model.v251.group.ORM_O01_ORDER;
import ca.uhn.hl7v2.model.v251.message.OML_O21;
import ca.uhn.hl7v2.model.v251.message.ORM_O01;
import ca.uhn.hl7v2.model.v251.segment.NTE;
import ca.uhn.hl7v2.model.v251.segment.OBR;
import ca.uhn.hl7v2.model.v251.segment.ORC;
import ca.uhn.hl7v2.model.v251.segment.PID;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.bonemarrow.server.adapter.ExamOrders;
import org.hl7.fhir.r4.model.Annotation;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.DateType;
import org.hl7.fhir.r4.model.Enumerations.AdministrativeGender;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;

/**
 * ORM^O01 and OML^O21 (new order NW, cancel CA) as the FHIR a client would post for the same exam order:
 * the Patient, conditionally created on the medical record number (PID-3), and the order ServiceRequest
 * claiming bme-exam-order, conditionally created on the placer order number. A cancel revokes the stored
 * order (status {@code revoked}), which the adapter's OrderCancellationRule then acts on. Pure: the
 * handler looks up what is stored and runs the transaction; docs/v2-mapping.md has the field table.
 */
public final class OrderMessageMapper {

	public static final String ORDER_PROFILE = "https://bonemarrow-exam.example/fhir/StructureDefinition/bme-exam-order";

	/** ORC-1 order control codes the gateway acts on. */
	public enum Control { NEW, CANCEL }

	/** One ORC/OBR pair. For a cancel, {@code order} holds only what the message said (identifiers). */
	public record MappedOrder(Control control, String placerNumber, ServiceRequest order) {}

	/** The patient (PID) and the orders (ORC/OBR) of one message. */
	public record MappedOrders(String mrn, Patient patient, List<MappedOrder> orders) {

		public boolean hasNew() {
			return orders.stream().anyMatch(o -> o.control() == Control.NEW);
		}

		public List<MappedOrder> cancels() {
			return orders.stream().filter(o -> o.control() == Control.CANCEL).toList();
		}
	}

	private record OrderSegments(ORC orc, OBR obr, List<NTE> notes) {}

	private OrderMessageMapper() {}

	/** Reads an ORM^O01 or OML^O21 (v2.5.1 structures). */
	public static MappedOrders map(Message message) {
		try {
			PID pid;
			List<OrderSegments> groups = new ArrayList<>();
			if (message instanceof ORM_O01 orm) {
				pid = orm.getPATIENT().getPID();
				for (ORM_O01_ORDER o : orm.getORDERAll()) {
					groups.add(new OrderSegments(o.getORC(), o.getORDER_DETAIL().getOBR(), o.getORDER_DETAIL().getNTEAll()));
				}
			} else if (message instanceof OML_O21 oml) {
				pid = oml.getPATIENT().getPID();
				for (OML_O21_ORDER o : oml.getORDERAll()) {
					groups.add(new OrderSegments(o.getORC(), o.getOBSERVATION_REQUEST().getOBR(),
							o.getOBSERVATION_REQUEST().getNTEAll()));
				}
			} else {
				throw new IllegalArgumentException("Not an order message: " + message.getName());
			}
			String mrn = V2Fields.mrn(pid);
			List<MappedOrder> orders = new ArrayList<>();
			for (OrderSegments g : groups) {
				if (!g.orc().isEmpty() || !g.obr().isEmpty()) {
					orders.add(order(g));
				}
			}
			if (orders.isEmpty()) {
				// Otherwise an empty transaction would be answered AA: the sender would believe an order was placed.
				throw V2Rejection.error(ErrorCode.REQUIRED_FIELD_MISSING, "ORC", 0, "The message has no ORC/OBR segments, "
						+ "so it carries no order: send one ORC and one OBR per order; nothing was stored");
			}
			return new MappedOrders(mrn, patient(pid, mrn), orders);
		} catch (HL7Exception e) {
			throw V2Rejection.error(ErrorCode.SEGMENT_SEQUENCE_ERROR, "The order message does not have the ORM^O01/OML^O21 structure");
		}
	}

	/** PID[Patient]: identifier (MR), name, birth date, administrative sex. Used only when the patient is new. */
	static Patient patient(PID pid, String mrn) {
		Patient p = new Patient();
		p.addIdentifier(V2Fields.identifier(V2Codes.MRN_SYSTEM, "MR", mrn));
		for (XPN xpn : pid.getPatientName()) {
			HumanName name = new HumanName();
			String family = V2Fields.text(xpn.getFamilyName().getSurname());
			if (family != null) {
				name.setFamily(family);
			}
			for (String given : new String[] {V2Fields.text(xpn.getGivenName()),
					V2Fields.text(xpn.getSecondAndFurtherGivenNamesOrInitialsThereof())}) {
				if (given != null) {
					name.addGiven(given);
				}
			}
			if (V2Fields.text(xpn.getPrefixEgDR()) != null) {
				name.addPrefix(V2Fields.text(xpn.getPrefixEgDR()));
			}
			if (V2Fields.text(xpn.getSuffixEgJRorIII()) != null) {
				name.addSuffix(V2Fields.text(xpn.getSuffixEgJRorIII()));
			}
			if (!name.isEmpty()) {
				p.addName(name);
			}
		}
		DateType birth = V2Dates.date(V2Fields.text(pid.getDateTimeOfBirth().getTime()), "PID", 7);
		if (birth != null) {
			p.setBirthDateElement(birth);
		}
		String sex = V2Fields.text(pid.getAdministrativeSex());
		if (sex != null) {
			p.setGender(gender(sex));
		}
		return p;
	}

	/** HL7 table 0001 to FHIR administrative-gender (IG ConceptMap for table 0001). */
	static AdministrativeGender gender(String v2) {
		return switch (v2) {
			case "F" -> AdministrativeGender.FEMALE;
			case "M" -> AdministrativeGender.MALE;
			case "O", "A" -> AdministrativeGender.OTHER;
			case "U", "N" -> AdministrativeGender.UNKNOWN;
			default -> throw V2Rejection.error(ErrorCode.TABLE_VALUE_NOT_FOUND, "PID", 8,
					"PID-8: administrative sex must be one of F, M, O, U, A, N (HL7 table 0001)");
		};
	}

	/** ORC[ServiceRequest] and OBR[ServiceRequest]. */
	private static MappedOrder order(OrderSegments g) {
		ORC orc = g.orc();
		OBR obr = g.obr();
		String controlCode = V2Fields.required(V2Fields.text(orc.getOrderControl()), "ORC", 1,
				"the order control code says what to do (NW new order, CA cancel)");
		Control control = switch (controlCode) {
			case "NW" -> Control.NEW;
			case "CA" -> Control.CANCEL;
			default -> throw V2Rejection.error(ErrorCode.TABLE_VALUE_NOT_FOUND, "ORC", 1,
					"ORC-1: order control '" + controlCode + "' is not supported; send NW (new order) or CA (cancel)");
		};
		String placer = V2Fields.entity(orc.getPlacerOrderNumber());
		if (placer == null) {
			placer = V2Fields.entity(obr.getPlacerOrderNumber());
		}
		V2Fields.required(placer, "ORC", 2, "the placer order number (ORC-2, or OBR-2) identifies the exam order");
		String filler = V2Fields.entity(orc.getFillerOrderNumber());
		if (filler == null) {
			filler = V2Fields.entity(obr.getFillerOrderNumber());
		}

		ServiceRequest sr = new ServiceRequest();
		sr.getMeta().addProfile(ORDER_PROFILE);
		sr.addIdentifier(V2Fields.identifier(V2Codes.PLACER_SYSTEM, "PLAC", placer));
		if (filler != null) {
			sr.addIdentifier(V2Fields.identifier(V2Codes.FILLER_SYSTEM, "FILL", filler));
		}
		sr.setIntent(ServiceRequest.ServiceRequestIntent.ORDER);
		if (control == Control.CANCEL) {
			sr.setStatus(ServiceRequest.ServiceRequestStatus.REVOKED);
			return new MappedOrder(control, placer, sr);
		}
		sr.setStatus(ServiceRequest.ServiceRequestStatus.ACTIVE);
		CodeableConcept code = V2Fields.concept(obr.getUniversalServiceIdentifier(), "OBR", 4);
		sr.setCode(code);
		if (!ExamOrders.isExamOrder(sr)) {
			throw V2Rejection.error(ErrorCode.TABLE_VALUE_NOT_FOUND, "OBR", 4, "OBR-4: not a bone marrow exam order; "
					+ "accepted: 49401003^^SCT, 234326005^^SCT, aspiration-and-trephine^^99BMEEXAM");
		}
		var authored = V2Dates.dateTime(V2Fields.text(orc.getDateTimeOfTransaction().getTime()), "ORC", 9);
		if (authored != null) {
			sr.setAuthoredOnElement(authored);
		}
		Reference requester = firstPractitioner(orc.getOrderingProvider());
		if (requester == null) {
			requester = firstPractitioner(obr.getOrderingProvider());
		}
		if (requester != null) {
			sr.setRequester(requester);
		}
		for (CE reason : obr.getReasonForStudy()) {
			CodeableConcept cc = V2Fields.concept(reason, "OBR", 31);
			if (cc != null) {
				sr.addReasonCode(cc);
			}
		}
		for (NTE nte : g.notes()) {
			String text = comment(nte);
			if (text != null) {
				sr.addNote(new Annotation().setText(text));
			}
		}
		return new MappedOrder(control, placer, sr);
	}

	private static Reference firstPractitioner(XCN[] xcns) {
		for (XCN xcn : xcns) {
			Reference ref = V2Fields.practitioner(xcn);
			if (ref != null) {
				return ref;
			}
		}
		return null;
	}

	static String comment(NTE nte) {
		List<String> lines = new ArrayList<>();
		for (FT ft : nte.getComment()) {
			String line = V2Fields.text(ft);
			if (line != null) {
				lines.add(line);
			}
		}
		return lines.isEmpty() ? null : String.join("\n", lines);
	}

	/**
	 * The FHIR transaction for the message: the Patient (conditional create on the MRN) when there is a new
	 * order, each new order (conditional create on the placer number: re-sending it creates nothing), and
	 * each cancelled order as an update of the stored one to {@code revoked}, guarded by its version.
	 *
	 * @param stored the stored orders of the cancels, by placer number (the handler refuses unknown ones)
	 */
	public static Bundle transaction(MappedOrders mapped, Map<String, ServiceRequest> stored) {
		Bundle b = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		String patientUrl = "urn:uuid:" + UUID.randomUUID();
		if (mapped.hasNew()) {
			entry(b, patientUrl, mapped.patient(), Bundle.HTTPVerb.POST, "Patient")
					.getRequest().setIfNoneExist(V2Codes.identifierQuery(V2Codes.MRN_SYSTEM, mapped.mrn()));
		}
		for (MappedOrder o : mapped.orders()) {
			if (o.control() == Control.NEW) {
				ServiceRequest sr = o.order().copy();
				sr.setSubject(new Reference(patientUrl));
				entry(b, "urn:uuid:" + UUID.randomUUID(), sr, Bundle.HTTPVerb.POST, "ServiceRequest")
						.getRequest().setIfNoneExist(V2Codes.identifierQuery(V2Codes.PLACER_SYSTEM, o.placerNumber()));
			} else {
				ServiceRequest current = stored.get(o.placerNumber());
				if (current == null) {
					throw new IllegalArgumentException("No stored order for a cancel");
				}
				ServiceRequest revoked = current.copy();
				revoked.setStatus(ServiceRequest.ServiceRequestStatus.REVOKED);
				String id = current.getIdElement().toUnqualifiedVersionless().getValue();
				revoked.setId(id);
				Bundle.BundleEntryComponent e = entry(b, null, revoked, Bundle.HTTPVerb.PUT, id);
				if (current.getIdElement().hasVersionIdPart()) {
					e.getRequest().setIfMatch("W/\"" + current.getIdElement().getVersionIdPart() + "\"");
				}
			}
		}
		return b;
	}

	private static Bundle.BundleEntryComponent entry(Bundle b, String fullUrl, Resource resource, Bundle.HTTPVerb verb,
			String url) {
		Bundle.BundleEntryComponent e = b.addEntry().setFullUrl(fullUrl).setResource(resource);
		e.getRequest().setMethod(verb).setUrl(url);
		return e;
	}
}

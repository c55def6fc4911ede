package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.model.DataTypeException;
import ca.uhn.hl7v2.model.v251.datatype.CE;
import ca.uhn.hl7v2.model.v251.datatype.CWE;
import ca.uhn.hl7v2.model.v251.datatype.ED;
import ca.uhn.hl7v2.model.v251.datatype.NM;
import ca.uhn.hl7v2.model.v251.datatype.RP;
import ca.uhn.hl7v2.model.v251.datatype.SN;
import ca.uhn.hl7v2.model.v251.datatype.TX;
import ca.uhn.hl7v2.model.v251.datatype.XCN;
import ca.uhn.hl7v2.model.v251.group.ORU_R01_ORDER_OBSERVATION;
import ca.uhn.hl7v2.model.v251.group.ORU_R01_PATIENT_RESULT;
import ca.uhn.hl7v2.model.v251.message.ORU_R01;
import ca.uhn.hl7v2.model.v251.segment.MSH;
import ca.uhn.hl7v2.model.v251.segment.NTE;
import ca.uhn.hl7v2.model.v251.segment.OBR;
import ca.uhn.hl7v2.model.v251.segment.OBX;
import ca.uhn.hl7v2.model.v251.segment.ORC;
import ca.uhn.hl7v2.model.v251.segment.PID;
import ca.uhn.hl7v2.model.v251.segment.SPM;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.PractitionerRole;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Ratio;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Specimen;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Type;

/**
 * A stored bone marrow report as an ORU^R01 (v2.5.1) for a receiving system: MSH, PID (patient), ORC/OBR
 * (order and report, ORC-12/OBR-16 the orderer), NTE (conclusion), one OBX per Observation (its components as
 * further OBX with the same OBX-4 sub-id), one OBX ED or RP per presentedForm (the signed PDF) and one SPM
 * per specimen. The field table is the inbound one read backwards
 * (docs/v2-mapping.md), so a message this mapper writes is one {@link ResultMessageMapper} reads. Pure.
 */
public final class OutboundResultMapper {

	/**
	 * What goes into one message. {@code order} may be null (a report basedOn something else).
	 *
	 * @param documents the report's presentedForm as sent: inline (ED) or a URL the receiver can reach (RP);
	 *                  the sender has already read a Binary of this server into inline data
	 * @param orderer   who ordered the exam (ServiceRequest.requester, a PractitionerRole followed to its
	 *                  Practitioner), for ORC-12/OBR-16; null when the order names no one
	 */
	public record OutboundResult(DiagnosticReport report, List<Observation> observations, Patient patient,
			ServiceRequest order, List<Specimen> specimens, List<Attachment> documents, Practitioner orderer) {

		/** The report's own presentedForm, and the orderer as the order's requester names it without a lookup. */
		public OutboundResult(DiagnosticReport report, List<Observation> observations, Patient patient,
				ServiceRequest order, List<Specimen> specimens) {
			this(report, observations, patient, order, specimens, report.getPresentedForm(),
					order == null ? null : OutboundResultMapper.orderer(order.getRequester(), ref -> null));
		}
	}

	/** MSH-3..6 and MSH-10. */
	public record Addressing(String sendingApplication, String sendingFacility, String receivingApplication,
			String receivingFacility, String controlId) {}

	private OutboundResultMapper() {}

	public static ORU_R01 toOru(OutboundResult r, Addressing a, HapiContext hapi) {
		try {
			ORU_R01 oru = new ORU_R01(hapi.getModelClassFactory());
			oru.setParser(hapi.getPipeParser());
			oru.initQuickstart("ORU", "R01", "P");
			msh(oru.getMSH(), a);
			ORU_R01_PATIENT_RESULT pr = oru.getPATIENT_RESULT();
			pid(pr.getPATIENT().getPID(), r.patient());
			ORU_R01_ORDER_OBSERVATION oo = pr.getORDER_OBSERVATION();
			String placer = identifier(r.order() == null ? List.of() : r.order().getIdentifier(), V2Codes.PLACER_SYSTEM);
			String filler = filler(r);
			orc(oo.getORC(), placer, filler, r.orderer());
			obr(oo.getOBR(), r.report(), placer, filler, r.orderer());
			notes(oo, r.report().getConclusion());
			int setId = observations(oo, r.observations());
			documents(oo, setId, r.report(), r.documents());
			specimens(oo, r.specimens());
			return oru;
		} catch (HL7Exception e) {
			throw new IllegalStateException("Could not build the ORU^R01", e);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	private static void msh(MSH msh, Addressing a) throws DataTypeException {
		msh.getSendingApplication().getNamespaceID().setValue(a.sendingApplication());
		msh.getSendingFacility().getNamespaceID().setValue(a.sendingFacility());
		msh.getReceivingApplication().getNamespaceID().setValue(a.receivingApplication());
		msh.getReceivingFacility().getNamespaceID().setValue(a.receivingFacility());
		msh.getMessageControlID().setValue(a.controlId());
		msh.getMessageType().getMessageStructure().setValue("ORU_R01");
	}

	/** PID[Patient] backwards: PID-3 MRN (type MR), PID-5 name, PID-7 birth date, PID-8 sex. */
	private static void pid(PID pid, Patient patient) throws HL7Exception {
		pid.getSetIDPID().setValue("1");
		if (patient == null) {
			return;
		}
		String mrn = identifier(patient.getIdentifier(), V2Codes.MRN_SYSTEM);
		if (mrn != null) {
			pid.getPatientIdentifierList(0).getIDNumber().setValue(mrn);
			pid.getPatientIdentifierList(0).getIdentifierTypeCode().setValue("MR");
		}
		if (patient.hasName()) {
			HumanName name = patient.getNameFirstRep();
			var xpn = pid.getPatientName(0);
			xpn.getFamilyName().getSurname().setValue(name.getFamily());
			List<String> given = name.getGiven().stream().map(StringType::getValue).toList();
			if (!given.isEmpty()) {
				xpn.getGivenName().setValue(given.get(0));
			}
			if (given.size() > 1) {
				xpn.getSecondAndFurtherGivenNamesOrInitialsThereof().setValue(String.join(" ", given.subList(1, given.size())));
			}
			if (name.hasPrefix()) {
				xpn.getPrefixEgDR().setValue(name.getPrefix().get(0).getValue());
			}
			if (name.hasSuffix()) {
				xpn.getSuffixEgJRorIII().setValue(name.getSuffix().get(0).getValue());
			}
		}
		if (patient.hasBirthDate()) {
			pid.getDateTimeOfBirth().getTime().setValue(V2Dates.dtm(patient.getBirthDateElement()));
		}
		if (patient.hasGender()) {
			pid.getAdministrativeSex().setValue(switch (patient.getGender()) {
				case FEMALE -> "F";
				case MALE -> "M";
				case OTHER -> "O";
				default -> "U";
			});
		}
	}

	private static void orc(ORC orc, String placer, String filler, Practitioner orderer) throws HL7Exception {
		orc.getOrderControl().setValue("RE");
		if (placer != null) {
			orc.getPlacerOrderNumber().getEntityIdentifier().setValue(placer);
		}
		orc.getFillerOrderNumber().getEntityIdentifier().setValue(filler);
		if (orderer != null) {
			xcn(orc.getOrderingProvider(0), orderer);
		}
	}

	/** OBR[DiagnosticReport] backwards. */
	private static void obr(OBR obr, DiagnosticReport report, String placer, String filler, Practitioner orderer)
			throws HL7Exception {
		obr.getSetIDOBR().setValue("1");
		// OBR-16: the receiving EHR files the result in the inbox of the clinician named here.
		if (orderer != null) {
			xcn(obr.getOrderingProvider(0), orderer);
		}
		if (placer != null) {
			obr.getPlacerOrderNumber().getEntityIdentifier().setValue(placer);
		}
		obr.getFillerOrderNumber().getEntityIdentifier().setValue(filler);
		ce(obr.getUniversalServiceIdentifier(), report.getCode());
		if (report.hasEffectiveDateTimeType()) {
			obr.getObservationDateTime().getTime().setValue(V2Dates.dtm(report.getEffectiveDateTimeType()));
		}
		if (report.hasIssued()) {
			obr.getResultsRptStatusChngDateTime().getTime().setValue(V2Dates.dtm(report.getIssuedElement()));
		}
		for (CodeableConcept category : report.getCategory()) {
			for (Coding c : category.getCoding()) {
				if ((V2Codes.V2_TABLE_PREFIX + "0074").equals(c.getSystem()) && V2Fields.text(obr.getDiagnosticServSectID()) == null) {
					obr.getDiagnosticServSectID().setValue(c.getCode());
				}
			}
		}
		obr.getResultStatus().setValue(resultStatus(report.getStatus()));
	}

	private static void notes(ORU_R01_ORDER_OBSERVATION oo, String conclusion) throws HL7Exception {
		if (conclusion == null || conclusion.isBlank()) {
			return;
		}
		var nte = oo.getNTE(0);
		nte.getSetIDNTE().setValue("1");
		String[] lines = conclusion.split("\n");
		for (int i = 0; i < lines.length; i++) {
			nte.getComment(i).setValue(lines[i]);
		}
	}

	/** The results as OBX; returns how many OBX were written. */
	private static int observations(ORU_R01_ORDER_OBSERVATION oo, List<Observation> observations) throws HL7Exception {
		int setId = 0;
		int group = 0;
		for (Observation obs : observations) {
			String subId = obs.hasComponent() ? Integer.toString(++group) : null;
			OBX obx = oo.getOBSERVATION(setId).getOBX();
			obx(obx, ++setId, obs.getCode(), subId, obs.getValue(), observationStatus(obs.getStatus()),
					obs.hasEffectiveDateTimeType() ? obs.getEffectiveDateTimeType() : null);
			// Observation.note as NTE after its OBX (IG NTE[Observation.note]), as it came in.
			int notes = 0;
			for (var note : obs.getNote()) {
				if (note.hasText()) {
					NTE nte = oo.getOBSERVATION(setId - 1).getNTE(notes++);
					nte.getSetIDNTE().setValue(Integer.toString(notes));
					String[] lines = note.getText().split("\n");
					for (int i = 0; i < lines.length; i++) {
						nte.getComment(i).setValue(lines[i]);
					}
				}
			}
			for (Observation.ObservationComponentComponent component : obs.getComponent()) {
				OBX c = oo.getOBSERVATION(setId).getOBX();
				obx(c, ++setId, component.getCode(), subId, component.getValue(), observationStatus(obs.getStatus()), null);
			}
		}
		return setId;
	}

	/**
	 * Each presentedForm as one OBX after the results: OBX-2 ED (inline, Base64) or RP (a URL). OBX-3 is the
	 * report's own code (OBR-4): the document is the report itself; no separate code is claimed for it. Its
	 * title, when there is one, is OBX-3.2 (what a receiving EHR lists the document as); the inbound mapper
	 * reads it back as the title.
	 */
	private static void documents(ORU_R01_ORDER_OBSERVATION oo, int setId, DiagnosticReport report,
			List<Attachment> documents) throws HL7Exception {
		for (Attachment a : documents) {
			boolean inline = a.hasData();
			if (!inline && !V2Attachments.isHttpUrl(a.getUrl())) {
				continue; // nothing a receiver could open; the sender logs what it left out
			}
			OBX obx = oo.getOBSERVATION(setId).getOBX();
			obx.getSetIDOBX().setValue(Integer.toString(++setId));
			ce(obx.getObservationIdentifier(), report.getCode());
			if (a.hasTitle()) {
				obx.getObservationIdentifier().getText().setValue(a.getTitle());
			}
			if (inline) {
				obx.getValueType().setValue("ED");
				ED ed = new ED(obx.getMessage());
				V2Attachments.toEd(ed, a);
				obx.getObservationValue(0).setData(ed);
			} else {
				obx.getValueType().setValue("RP");
				RP rp = new RP(obx.getMessage());
				V2Attachments.toRp(rp, a);
				obx.getObservationValue(0).setData(rp);
			}
			obx.getObservationResultStatus().setValue(documentStatus(report.getStatus()));
			if (a.hasCreation()) {
				obx.getDateTimeOfTheObservation().getTime().setValue(V2Dates.dtm(a.getCreationElement()));
			}
		}
	}

	/** The report's status as the document's OBX-11 (table 0085). */
	static String documentStatus(DiagnosticReport.DiagnosticReportStatus status) {
		if (status == null) {
			return "F";
		}
		return switch (status) {
			case CORRECTED, AMENDED, APPENDED -> "C";
			case PRELIMINARY, PARTIAL -> "P";
			case REGISTERED -> "R";
			case CANCELLED -> "X";
			case ENTEREDINERROR -> "W";
			default -> "F";
		};
	}

	/**
	 * The orderer of the exam from ServiceRequest.requester, for ORC-12/OBR-16: a Practitioner as stored; a
	 * PractitionerRole followed to its practitioner (US Core sends the requester as a PractitionerRole); a
	 * logical reference (identifier and display, as an order received over v2 holds it) as a Practitioner
	 * with that identifier and the display as its name's text. Null when the requester names no person
	 * (an Organization, a Patient, a Device) or nothing.
	 *
	 * @param read reads a literal reference (type/id), null when it cannot be read
	 */
	public static Practitioner orderer(Reference requester, java.util.function.Function<Reference, Resource> read) {
		if (requester == null || requester.isEmpty()) {
			return null;
		}
		String type = requester.getReferenceElement().hasResourceType() ? requester.getReferenceElement().getResourceType()
				: requester.getType();
		if (requester.hasReference() && requester.getReferenceElement().hasIdPart()) {
			Resource target = read.apply(requester);
			if (target instanceof Practitioner p) {
				return p;
			}
			if (target instanceof PractitionerRole role) {
				Practitioner p = orderer(role.getPractitioner(), read);
				return p != null ? p : logical(requester);
			}
		}
		if (type != null && !"Practitioner".equals(type) && !"PractitionerRole".equals(type)) {
			return null;
		}
		return logical(requester);
	}

	/** A Practitioner from what a reference itself says (identifier, display); null when it says neither. */
	private static Practitioner logical(Reference ref) {
		if (!ref.hasIdentifier() && !ref.hasDisplay()) {
			return null;
		}
		Practitioner p = new Practitioner();
		if (ref.hasIdentifier()) {
			p.addIdentifier(ref.getIdentifier().copy());
		}
		if (ref.hasDisplay()) {
			p.addName().setText(ref.getDisplay());
		}
		return p;
	}

	/**
	 * Practitioner as XCN, the reverse of the inbound XCN (XCN-1 in our practitioner system, the display
	 * "prefix given family"): XCN-1 the identifier (ours, else the NPI with XCN-9/XCN-13 saying so, else the
	 * first), XCN-2 family, XCN-3 and XCN-4 given names, XCN-5 suffix, XCN-6 prefix. A name with only a text
	 * (a display) is split the way the inbound mapper joined it: a leading title is the prefix, the last
	 * word the family name, the words between given names.
	 */
	static void xcn(XCN xcn, Practitioner p) throws HL7Exception {
		Identifier id = p.getIdentifier().stream().filter(i -> V2Codes.PRACTITIONER_SYSTEM.equals(i.getSystem()) && i.hasValue())
				.findFirst()
				.or(() -> p.getIdentifier().stream().filter(i -> NPI.equals(i.getSystem()) && i.hasValue()).findFirst())
				.or(() -> p.getIdentifier().stream().filter(Identifier::hasValue).findFirst())
				.orElse(null);
		if (id != null) {
			xcn.getIDNumber().setValue(id.getValue());
			if (NPI.equals(id.getSystem())) {
				// The NPI's assigning authority (CMS, OID 2.16.840.1.113883.4.6) and identifier type NPI (table 0203).
				xcn.getAssigningAuthority().getNamespaceID().setValue("NPI");
				xcn.getAssigningAuthority().getUniversalID().setValue("2.16.840.1.113883.4.6");
				xcn.getAssigningAuthority().getUniversalIDType().setValue("ISO");
				xcn.getIdentifierTypeCode().setValue("NPI");
			}
		}
		if (!p.hasName()) {
			return;
		}
		HumanName name = p.getName().stream().filter(n -> n.getUse() == HumanName.NameUse.OFFICIAL).findFirst()
				.orElse(p.getNameFirstRep());
		String family = name.getFamily();
		List<String> given = new ArrayList<>(name.getGiven().stream().map(StringType::getValue).toList());
		String prefix = name.hasPrefix() ? name.getPrefix().get(0).getValue() : null;
		if (family == null && given.isEmpty() && name.hasText()) {
			List<String> words = new ArrayList<>(List.of(name.getText().trim().split("\\s+")));
			if (words.size() > 1 && words.get(0).matches("(?i)(dr|prof|mr|mrs|ms|miss|mx)\\.?")) {
				prefix = words.remove(0);
			}
			family = words.remove(words.size() - 1);
			given = words;
		}
		if (family != null) {
			xcn.getFamilyName().getSurname().setValue(family);
		}
		if (!given.isEmpty()) {
			xcn.getGivenName().setValue(given.get(0));
		}
		if (given.size() > 1) {
			xcn.getSecondAndFurtherGivenNamesOrInitialsThereof().setValue(String.join(" ", given.subList(1, given.size())));
		}
		if (name.hasSuffix()) {
			xcn.getSuffixEgJRorIII().setValue(name.getSuffix().get(0).getValue());
		}
		if (prefix != null) {
			xcn.getPrefixEgDR().setValue(prefix);
		}
	}

	/** The US National Provider Identifier system (US Core: Practitioner.identifier:NPI). */
	static final String NPI = "http://hl7.org/fhir/sid/us-npi";

	/** OBX[Observation] backwards; the value type (OBX-2) follows the FHIR value. */
	private static void obx(OBX obx, int setId, CodeableConcept code, String subId, Type value, String status,
			DateTimeType effective) throws HL7Exception {
		obx.getSetIDOBX().setValue(Integer.toString(setId));
		ce(obx.getObservationIdentifier(), code);
		if (subId != null) {
			obx.getObservationSubID().setValue(subId);
		}
		if (value instanceof StringType s && s.getValue() != null) {
			obx.getValueType().setValue("TX");
			String[] lines = s.getValue().split("\n");
			for (int i = 0; i < lines.length; i++) {
				TX tx = new TX(obx.getMessage());
				tx.setValue(lines[i]);
				obx.getObservationValue(i).setData(tx);
			}
		} else if (value instanceof Quantity q && q.hasValue()) {
			obx.getValueType().setValue("NM");
			NM nm = new NM(obx.getMessage());
			nm.setValue(q.getValue().toPlainString());
			obx.getObservationValue(0).setData(nm);
			if (q.hasCode() || q.hasUnit()) {
				CE units = obx.getUnits();
				units.getIdentifier().setValue(q.hasCode() ? q.getCode() : q.getUnit());
				if (q.hasUnit()) {
					units.getText().setValue(q.getUnit());
				}
				if (V2Codes.UCUM.equals(q.getSystem())) {
					units.getNameOfCodingSystem().setValue("UCUM");
				}
			}
		} else if (value instanceof Ratio ratio && ratio.getNumerator().hasValue()) {
			obx.getValueType().setValue("SN");
			SN sn = new SN(obx.getMessage());
			sn.getNum1().setValue(ratio.getNumerator().getValue().toPlainString());
			sn.getSeparatorSuffix().setValue(":");
			sn.getNum2().setValue(ratio.getDenominator().hasValue() ? ratio.getDenominator().getValue().toPlainString() : "1");
			obx.getObservationValue(0).setData(sn);
		} else if (value instanceof CodeableConcept cc) {
			obx.getValueType().setValue("CWE");
			CWE cwe = new CWE(obx.getMessage());
			cwe(cwe, cc);
			obx.getObservationValue(0).setData(cwe);
		}
		obx.getObservationResultStatus().setValue(status);
		if (effective != null) {
			obx.getDateTimeOfTheObservation().getTime().setValue(V2Dates.dtm(effective));
		}
	}

	/** SPM[Specimen] backwards. */
	private static void specimens(ORU_R01_ORDER_OBSERVATION oo, List<Specimen> specimens) throws HL7Exception {
		int n = 0;
		for (Specimen s : specimens) {
			SPM spm = oo.getSPECIMEN(n).getSPM();
			spm.getSetIDSPM().setValue(Integer.toString(++n));
			String id = identifier(s.getIdentifier(), V2Codes.SPECIMEN_SYSTEM);
			if (id == null && s.hasAccessionIdentifier()) {
				id = s.getAccessionIdentifier().getValue();
			}
			if (id == null) {
				id = "BM-" + s.getIdElement().getIdPart();
			}
			spm.getSpecimenID().getFillerAssignedIdentifier().getEntityIdentifier().setValue(id);
			cwe(spm.getSpecimenType(), s.getType());
			Specimen.SpecimenCollectionComponent collection = s.getCollection();
			cwe(spm.getSpecimenCollectionMethod(), collection.getMethod());
			if (collection.hasBodySite()) {
				cwe(spm.getSpecimenSourceSite(), collection.getBodySite());
				int m = 0;
				for (Extension qualifier : collection.getBodySite().getExtensionsByUrl(ResultMessageMapper.QUALIFIER_EXTENSION)) {
					if (qualifier.getValue() instanceof CodeableConcept cc) {
						cwe(spm.getSpecimenSourceSiteModifier(m++), cc);
					}
				}
			}
			if (collection.hasCollectedDateTimeType()) {
				spm.getSpecimenCollectionDateTime().getRangeStartDateTime().getTime()
						.setValue(V2Dates.dtm(collection.getCollectedDateTimeType()));
			}
			if (s.hasReceivedTime()) {
				spm.getSpecimenReceivedDateTime().getTime().setValue(V2Dates.dtm(s.getReceivedTimeElement()));
			}
			if (s.getStatus() == Specimen.SpecimenStatus.AVAILABLE) {
				spm.getSpecimenAvailability().setValue("Y");
			} else if (s.getStatus() == Specimen.SpecimenStatus.UNAVAILABLE) {
				spm.getSpecimenAvailability().setValue("N");
			}
		}
	}

	/** The codings of a concept in systems with a v2 name: the first is the primary triplet, the second the alternate. */
	private static List<Coding> v2Codings(CodeableConcept cc) {
		List<Coding> out = new ArrayList<>();
		if (cc != null) {
			for (Coding c : cc.getCoding()) {
				if (c.hasCode() && V2Codes.v2Name(c.getSystem()) != null && out.size() < 2) {
					out.add(c);
				}
			}
		}
		return out;
	}

	private static void ce(CE ce, CodeableConcept cc) throws DataTypeException {
		List<Coding> codings = v2Codings(cc);
		if (codings.isEmpty()) {
			if (cc != null && cc.hasText()) {
				ce.getText().setValue(cc.getText());
			}
			return;
		}
		Coding c = codings.get(0);
		ce.getIdentifier().setValue(c.getCode());
		ce.getText().setValue(c.hasDisplay() ? c.getDisplay() : cc.getText());
		ce.getNameOfCodingSystem().setValue(V2Codes.v2Name(c.getSystem()));
		if (codings.size() > 1) {
			Coding alt = codings.get(1);
			ce.getAlternateIdentifier().setValue(alt.getCode());
			ce.getAlternateText().setValue(alt.getDisplay());
			ce.getNameOfAlternateCodingSystem().setValue(V2Codes.v2Name(alt.getSystem()));
		}
	}

	private static void cwe(CWE cwe, CodeableConcept cc) throws DataTypeException {
		List<Coding> codings = v2Codings(cc);
		if (!codings.isEmpty()) {
			Coding c = codings.get(0);
			cwe.getIdentifier().setValue(c.getCode());
			cwe.getText().setValue(c.getDisplay());
			cwe.getNameOfCodingSystem().setValue(V2Codes.v2Name(c.getSystem()));
			if (codings.size() > 1) {
				Coding alt = codings.get(1);
				cwe.getAlternateIdentifier().setValue(alt.getCode());
				cwe.getAlternateText().setValue(alt.getDisplay());
				cwe.getNameOfAlternateCodingSystem().setValue(V2Codes.v2Name(alt.getSystem()));
			}
		}
		if (cc != null && cc.hasText()) {
			if (codings.isEmpty()) {
				cwe.getText().setValue(cc.getText());
			} else {
				cwe.getOriginalText().setValue(cc.getText());
			}
		}
	}

	/** The filler order number of the report, else of the order, else one made from the report id. */
	private static String filler(OutboundResult r) {
		String filler = identifier(r.report().getIdentifier(), V2Codes.FILLER_SYSTEM);
		if (filler == null && r.order() != null) {
			filler = identifier(r.order().getIdentifier(), V2Codes.FILLER_SYSTEM);
		}
		return filler != null ? filler : "BM-" + r.report().getIdElement().getIdPart();
	}

	private static String identifier(List<Identifier> identifiers, String system) {
		return identifiers.stream().filter(i -> system.equals(i.getSystem()) && i.hasValue())
				.map(Identifier::getValue).findFirst().orElse(null);
	}

	/** DiagnosticReport.status to HL7 table 0123 (the inbound map read backwards; amendments are C). */
	static String resultStatus(DiagnosticReport.DiagnosticReportStatus status) {
		if (status == null) {
			return "F";
		}
		return switch (status) {
			case REGISTERED -> "I";
			case PARTIAL -> "A";
			case PRELIMINARY -> "P";
			case CORRECTED, AMENDED, APPENDED -> "C";
			case CANCELLED -> "X";
			default -> "F";
		};
	}

	/** Observation.status to HL7 table 0085. */
	static String observationStatus(Observation.ObservationStatus status) {
		if (status == null) {
			return "F";
		}
		return switch (status) {
			case REGISTERED -> "R";
			case PRELIMINARY -> "P";
			case CORRECTED, AMENDED -> "C";
			case CANCELLED -> "X";
			case ENTEREDINERROR -> "W";
			default -> "F";
		};
	}

	public static String encode(ORU_R01 oru) {
		try {
			return oru.encode();
		} catch (HL7Exception e) {
			throw new IllegalStateException("Could not encode the ORU^R01", e);
		}
	}
}

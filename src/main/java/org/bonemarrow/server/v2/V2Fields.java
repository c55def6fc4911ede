package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.ErrorCode;
import ca.uhn.hl7v2.model.Primitive;
import ca.uhn.hl7v2.model.v251.datatype.CE;
import ca.uhn.hl7v2.model.v251.datatype.CWE;
import ca.uhn.hl7v2.model.v251.datatype.CX;
import ca.uhn.hl7v2.model.v251.datatype.EI;
import ca.uhn.hl7v2.model.v251.datatype.XCN;
import ca.uhn.hl7v2.model.v251.segment.PID;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;

/**
 * HL7 v2 datatypes as FHIR datatypes, after the IG's datatype maps (CWE[CodeableConcept], CX[Identifier],
 * EI[Identifier], XCN[Practitioner] as a logical reference). Inbound only; the outbound mapper writes the
 * reverse. Values come from HAPI's typed v2.5.1 accessors.
 */
public final class V2Fields {

	private V2Fields() {}

	/** The value of a primitive, trimmed; null when empty. */
	public static String text(Primitive p) {
		String v = p == null ? null : p.getValue();
		return v == null || v.isBlank() ? null : v.trim();
	}

	public static CodeableConcept concept(CE ce, String segment, int field) {
		return V2Codes.concept(text(ce.getIdentifier()), text(ce.getText()), text(ce.getNameOfCodingSystem()),
				text(ce.getAlternateIdentifier()), text(ce.getAlternateText()), text(ce.getNameOfAlternateCodingSystem()),
				null, segment, field);
	}

	public static CodeableConcept concept(CWE cwe, String segment, int field) {
		return V2Codes.concept(text(cwe.getIdentifier()), text(cwe.getText()), text(cwe.getNameOfCodingSystem()),
				text(cwe.getAlternateIdentifier()), text(cwe.getAlternateText()), text(cwe.getNameOfAlternateCodingSystem()),
				text(cwe.getOriginalText()), segment, field);
	}

	/**
	 * A CWE as sent, for a field whose code need not be one of ours: a local code no code map translates is
	 * kept with its local system ({@link V2Codes#localSystem}) instead of refused. Unknown systems are still
	 * refused when no sender's maps are in force.
	 */
	public static CodeableConcept conceptAsSent(CWE cwe, String segment, int field) {
		return V2Codes.concept(text(cwe.getIdentifier()), text(cwe.getText()), text(cwe.getNameOfCodingSystem()),
				text(cwe.getAlternateIdentifier()), text(cwe.getAlternateText()), text(cwe.getNameOfAlternateCodingSystem()),
				text(cwe.getOriginalText()), segment, field, false);
	}

	/** CE (v2.5.1 OBX-3 is CE) as sent; see {@link #conceptAsSent(CWE, String, int)}. */
	public static CodeableConcept conceptAsSent(CE ce, String segment, int field) {
		return V2Codes.concept(text(ce.getIdentifier()), text(ce.getText()), text(ce.getNameOfCodingSystem()),
				text(ce.getAlternateIdentifier()), text(ce.getAlternateText()), text(ce.getNameOfAlternateCodingSystem()),
				null, segment, field, false);
	}

	/** True when the concept has a coding with this system and code. */
	public static boolean hasCoding(CodeableConcept cc, String system, String code) {
		if (cc == null) {
			return false;
		}
		for (Coding c : cc.getCoding()) {
			if (system.equals(c.getSystem()) && code.equals(c.getCode())) {
				return true;
			}
		}
		return false;
	}

	/** EI-1, the entity identifier (order numbers, specimen ids). */
	public static String entity(EI ei) {
		return text(ei.getEntityIdentifier());
	}

	/** An identifier of one of our systems with its v2-0203 type (PLAC, FILL, MR). */
	public static Identifier identifier(String system, String typeCode, String value) {
		Identifier id = new Identifier().setSystem(system).setValue(value);
		id.getType().addCoding(new Coding(V2Codes.IDENTIFIER_TYPE_SYSTEM, typeCode, null));
		return id;
	}

	/**
	 * The medical record number in PID-3: the repetition whose identifier type (CX-5) is MR, or the first
	 * valued one when none says MR. Refused (AE, 101) when PID-3 is empty: patients are matched by it.
	 */
	public static String mrn(PID pid) {
		CX[] ids = pid.getPatientIdentifierList();
		String first = null;
		for (CX cx : ids) {
			String value = text(cx.getIDNumber());
			if (value == null) {
				continue;
			}
			if ("MR".equals(text(cx.getIdentifierTypeCode()))) {
				return value;
			}
			if (first == null) {
				first = value;
			}
		}
		if (first == null) {
			throw V2Rejection.error(ErrorCode.REQUIRED_FIELD_MISSING, "PID", 3,
					"PID-3 (patient identifier list) is empty: the patient is matched or created by the medical record number");
		}
		return first;
	}

	/**
	 * A person named in an XCN (ordering provider), as a logical reference: identifier (XCN-1) in the
	 * practitioner system and the name as display. No Practitioner record is created for it.
	 */
	public static Reference practitioner(XCN xcn) {
		return practitioner(text(xcn.getIDNumber()),
				text(xcn.getPrefixEgDR()), text(xcn.getGivenName()), text(xcn.getFamilyName().getSurname()));
	}

	/** The same from an id and name parts (null parts skipped); null when there is neither. */
	public static Reference practitioner(String id, String... nameParts) {
		List<String> parts = new ArrayList<>();
		for (String p : nameParts) {
			if (p != null) {
				parts.add(p);
			}
		}
		if (id == null && parts.isEmpty()) {
			return null;
		}
		Reference ref = new Reference().setType("Practitioner");
		if (id != null) {
			ref.setIdentifier(new Identifier().setSystem(V2Codes.PRACTITIONER_SYSTEM).setValue(id));
		}
		if (!parts.isEmpty()) {
			ref.setDisplay(String.join(" ", parts));
		}
		return ref;
	}

	/** Required field check for the ERR segment: AE 101 naming the field and why it is needed. */
	public static String required(String value, String segment, int field, String why) {
		if (value == null) {
			throw V2Rejection.error(ErrorCode.REQUIRED_FIELD_MISSING, segment, field, segment + "-" + field + " is empty: " + why);
		}
		return value;
	}
}

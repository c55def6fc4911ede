package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.ErrorCode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;

/**
 * The code systems and identifier systems the gateway translates between HL7 v2 and FHIR. v2 names a code
 * system in CWE-3/CE-3 (HL7 table 0396: {@code LN}, {@code SCT}, {@code HL7nnnn}, local {@code 99zzz}); FHIR
 * by URI. Only systems the exam profiles use are known; a coding in any other system is refused (AE, 103)
 * rather than stored without a system. The local {@code 99BME...} names stand for this server's own
 * CodeSystems (fhir-profiles/), which hold the concepts with no verified standard code.
 *
 * <p>Code maps (README "Adding a sender's code map"): while a mapper runs inside {@link #translating}, each
 * coding is also looked up in the sender's maps and the standard maps, and what they translate it to is
 * added after it (the sender's own coding is kept). A coding system name the server does not know is then
 * a sender's local system, stored as {@link #localSystem}; a local code that no map translates is accepted
 * only next to a coding the server knows, and otherwise refused (AE 103) as before.
 */
public final class V2Codes {

	private static final String BASE = "https://bonemarrow-exam.example/fhir/";
	public static final String MRN_SYSTEM = BASE + "sid/mrn";
	public static final String PLACER_SYSTEM = BASE + "sid/placer-order";
	/** Filler order numbers (OBR-3/ORC-3): the laboratory's number for the order, which names its report. */
	public static final String FILLER_SYSTEM = BASE + "sid/filler-order";
	/** Specimen ids (SPM-2). */
	public static final String SPECIMEN_SYSTEM = BASE + "sid/specimen";
	/** Result ids: filler order number, OBX-3 code and OBX-4 sub-id, so a corrected result replaces its first version. */
	public static final String RESULT_SYSTEM = BASE + "sid/filler-result";
	public static final String PRACTITIONER_SYSTEM = BASE + "sid/practitioner";
	public static final String IDENTIFIER_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0203";

	public static final String LOINC = "http://loinc.org";
	public static final String SNOMED = "http://snomed.info/sct";
	public static final String UCUM = "http://unitsofmeasure.org";
	public static final String V2_TABLE_PREFIX = "http://terminology.hl7.org/CodeSystem/v2-";

	/** v2 coding system name to FHIR system (apart from the HL7nnnn tables, which follow a pattern). */
	private static final Map<String, String> SYSTEMS = Map.of(
			"LN", LOINC,
			"SCT", SNOMED,
			"UCUM", UCUM,
			"99BMEEXAM", BASE + "CodeSystem/bme-exam",
			"99BMEIND", BASE + "CodeSystem/bme-indication",
			"99BMEOBS", BASE + "CodeSystem/bme-observation",
			"99BMEANA", BASE + "CodeSystem/bme-anaesthesia");

	/**
	 * Local coding systems of a sender: {@code <prefix><MSH-3>/<CWE-3>}, each part URL-encoded, e.g.
	 * {@code https://bonemarrow-exam.example/fhir/v2-local/ACME-LIS/99ACME}. Named per sender because a
	 * local name ({@code L}, {@code 99LAB}) means something else at every laboratory. This is the
	 * {@code group.source} of a sender's ConceptMap.
	 */
	public static final String LOCAL_SYSTEM_PREFIX = BASE + "v2-local/";

	private static final ThreadLocal<CodeTranslator> TRANSLATOR = ThreadLocal.withInitial(() -> CodeTranslator.NONE);

	private static final Pattern HL7_TABLE = Pattern.compile("HL7(\\d{4})");
	private static final Pattern FHIR_V2_TABLE = Pattern.compile(Pattern.quote(V2_TABLE_PREFIX) + "(\\d{4})");

	private V2Codes() {}

	/** The FHIR system for a v2 coding system name, or null when it is not one the gateway knows. */
	public static String fhirSystem(String v2Name) {
		if (v2Name == null) {
			return null;
		}
		Matcher table = HL7_TABLE.matcher(v2Name);
		if (table.matches()) {
			return V2_TABLE_PREFIX + table.group(1);
		}
		return SYSTEMS.get(v2Name);
	}

	/** The FHIR system of a sender's local coding system (see {@link #LOCAL_SYSTEM_PREFIX}). */
	public static String localSystem(String sender, String v2Name) {
		return LOCAL_SYSTEM_PREFIX + uriPart(sender) + "/" + uriPart(v2Name == null ? "" : v2Name);
	}

	private static String uriPart(String s) {
		return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
	}

	/**
	 * Runs a mapper with the code maps of one message's sender. The mapper stays pure: the maps are given
	 * for the duration of the call only (a thread-scoped argument, so that every datatype helper sees them
	 * without each mapper method passing them on).
	 */
	public static <T> T translating(CodeTranslator translator, Supplier<T> work) {
		CodeTranslator before = TRANSLATOR.get();
		TRANSLATOR.set(translator == null ? CodeTranslator.NONE : translator);
		try {
			return work.get();
		} finally {
			if (before == CodeTranslator.NONE) {
				TRANSLATOR.remove();
			} else {
				TRANSLATOR.set(before);
			}
		}
	}

	/** The v2 coding system name for a FHIR system, or null. */
	public static String v2Name(String fhirSystem) {
		if (fhirSystem == null) {
			return null;
		}
		Matcher table = FHIR_V2_TABLE.matcher(fhirSystem);
		if (table.matches()) {
			return "HL7" + table.group(1);
		}
		return SYSTEMS.entrySet().stream().filter(e -> e.getValue().equals(fhirSystem))
				.map(Map.Entry::getKey).findFirst().orElse(null);
	}

	/**
	 * A CWE/CE as a CodeableConcept (IG datatype map CWE[CodeableConcept]): the primary and the alternate
	 * triplet each become a coding, original text (CWE-9) the text. Returns null when nothing is valued.
	 *
	 * @param where segment and field for the ERR segment when a coding system is unknown, e.g. {@code OBR-4}
	 */
	public static CodeableConcept concept(String code, String display, String system, String altCode, String altDisplay,
			String altSystem, String originalText, String segment, int field) {
		return concept(code, display, system, altCode, altDisplay, altSystem, originalText, segment, field, true);
	}

	/**
	 * The same; with {@code refuseUntranslatedLocal} false a sender's local code that no map translates is
	 * kept as it was sent (its local system) instead of refused: for a field whose own code need not be ours,
	 * such as an OBX-3 the gateway stores as a plain laboratory result. Local codes still need a sender
	 * (code maps in force).
	 */
	public static CodeableConcept concept(String code, String display, String system, String altCode, String altDisplay,
			String altSystem, String originalText, String segment, int field, boolean refuseUntranslatedLocal) {
		CodeableConcept cc = new CodeableConcept();
		List<Coding> local = new ArrayList<>();
		addCoding(cc, code, display, system, segment, field, local);
		addCoding(cc, altCode, altDisplay, altSystem, segment, field, local);
		addTranslations(cc, local, segment, field, refuseUntranslatedLocal);
		if (!blank(originalText)) {
			cc.setText(originalText);
		} else if (!cc.hasCoding() && !blank(display)) {
			// Text only (no code): e.g. a differential component that has no verified code.
			cc.setText(display);
		}
		return cc.hasCoding() || cc.hasText() ? cc : null;
	}

	private static void addCoding(CodeableConcept cc, String code, String display, String system, String segment, int field,
			List<Coding> local) {
		if (blank(code)) {
			return;
		}
		String fhirSystem = fhirSystem(system);
		boolean isLocal = false;
		if (fhirSystem == null) {
			fhirSystem = blank(system) ? null : TRANSLATOR.get().localSystem(system);
			isLocal = true;
		}
		if (fhirSystem == null) {
			throw V2Rejection.error(ErrorCode.TABLE_VALUE_NOT_FOUND, segment, field, segment + "-" + field
					+ ": coding system '" + (system == null ? "" : system) + "' is not one this server knows "
					+ "(LN, SCT, UCUM, HL7nnnn, 99BMEEXAM, 99BMEIND, 99BMEOBS, 99BMEANA)");
		}
		Coding coding = cc.addCoding().setSystem(fhirSystem).setCode(code);
		if (!blank(display)) {
			coding.setDisplay(display);
		}
		if (isLocal) {
			local.add(coding);
		}
	}

	/**
	 * Adds what the code maps translate each coding to, after the sender's codings. A local coding that no
	 * map translates may stay only beside a coding the server knows; alone it is refused, naming the field.
	 */
	private static void addTranslations(CodeableConcept cc, List<Coding> local, String segment, int field,
			boolean refuseUntranslatedLocal) {
		CodeTranslator translator = TRANSLATOR.get();
		List<Coding> sent = List.copyOf(cc.getCoding());
		boolean localTranslated = false;
		for (Coding c : sent) {
			for (Coding target : translator.translate(c.getSystem(), c.getCode())) {
				if (local.contains(c)) {
					localTranslated = true;
				}
				if (cc.getCoding().stream().noneMatch(x -> target.getSystem().equals(x.getSystem())
						&& target.getCode().equals(x.getCode()))) {
					cc.addCoding(target);
				}
			}
		}
		boolean knownBeside = sent.stream().anyMatch(c -> !local.contains(c));
		if (refuseUntranslatedLocal && !local.isEmpty() && !localTranslated && !knownBeside) {
			Coding first = local.get(0);
			String name = first.getSystem().substring(first.getSystem().lastIndexOf('/') + 1);
			throw V2Rejection.error(ErrorCode.TABLE_VALUE_NOT_FOUND, segment, field, segment + "-" + field
					+ ": coding system '" + java.net.URLDecoder.decode(name, StandardCharsets.UTF_8)
					+ "' is not one this server knows (LN, SCT, UCUM, HL7nnnn, 99BMEEXAM, 99BMEIND, 99BMEOBS, 99BMEANA)"
					+ " and no code map of this sender translates code '" + first.getCode() + "' (bonemarrow.v2.code-maps)");
		}
	}

	/** {@code identifier=<system>|<value>} for conditional creates and updates, the value URL-escaped. */
	public static String identifierQuery(String system, String value) {
		return "identifier=" + system + "|" + ca.uhn.fhir.util.UrlUtil.escapeUrlParam(value);
	}

	public static boolean blank(String s) {
		return s == null || s.isBlank();
	}
}

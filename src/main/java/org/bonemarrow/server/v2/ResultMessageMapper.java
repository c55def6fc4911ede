package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.ErrorCode;
import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.model.Primitive;
import ca.uhn.hl7v2.model.Varies;
import ca.uhn.hl7v2.model.v251.datatype.CE;
import ca.uhn.hl7v2.model.v251.datatype.CNN;
import ca.uhn.hl7v2.model.v251.datatype.CWE;
import ca.uhn.hl7v2.model.v251.datatype.EI;
import ca.uhn.hl7v2.model.v251.datatype.NM;
import ca.uhn.hl7v2.model.v251.datatype.SN;
import ca.uhn.hl7v2.model.v251.datatype.XCN;
import ca.uhn.hl7v2.model.v251.group.ORU_R01_OBSERVATION;
import ca.uhn.hl7v2.model.v251.group.ORU_R01_ORDER_OBSERVATION;
import ca.uhn.hl7v2.model.v251.group.ORU_R01_PATIENT_RESULT;
import ca.uhn.hl7v2.model.v251.group.ORU_R01_SPECIMEN;
import ca.uhn.hl7v2.model.v251.message.ORU_R01;
import ca.uhn.hl7v2.model.v251.segment.NTE;
import ca.uhn.hl7v2.model.v251.segment.OBR;
import ca.uhn.hl7v2.model.v251.segment.OBX;
import ca.uhn.hl7v2.model.v251.segment.ORC;
import ca.uhn.hl7v2.model.v251.segment.SPM;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Type;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Ratio;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.Specimen;
import org.hl7.fhir.r4.model.StringType;

/**
 * ORU^R01 as the FHIR a laboratory would post for the same results: per OBR one DiagnosticReport claiming
 * bme-exam-report, basedOn the exam order, with its Observations (one per OBX, claiming the finding profile
 * of their code) and Specimens (one per SPM, claiming bme-marrow-specimen). The report is identified by the
 * filler order number, each result by filler number + OBX-3 + OBX-4 and each specimen by SPM-2, so a
 * corrected result (OBR-25/OBX-11 = C) updates what the first one stored instead of adding to it. Pure: the
 * handler finds the orders ({@link #keys}) and runs the transaction; docs/v2-mapping.md has the table.
 */
public final class ResultMessageMapper {

	private static final String SD = "https://bonemarrow-exam.example/fhir/StructureDefinition/";
	public static final String REPORT_PROFILE = SD + "bme-exam-report";
	public static final String SPECIMEN_PROFILE = SD + "bme-marrow-specimen";
	public static final String QUALIFIER_EXTENSION = SD + "bme-body-location-qualifier";
	static final String BME_OBSERVATION = "https://bonemarrow-exam.example/fhir/CodeSystem/bme-observation";
	static final String CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category";

	/** The findings the gateway accepts, by code ("system|code"), with the profile each claims. */
	static final Map<String, String> FINDING_PROFILES = Map.of(
			V2Codes.LOINC + "|74232-0", SD + "bme-cellularity",
			BME_OBSERVATION + "|cellularity-percentage", SD + "bme-cellularity",
			V2Codes.LOINC + "|74233-8", SD + "bme-blast-percentage",
			BME_OBSERVATION + "|blast-percentage", SD + "bme-blast-percentage",
			V2Codes.LOINC + "|11138-5", SD + "bme-me-ratio",
			V2Codes.LOINC + "|13513-7", SD + "bme-iron-stores",
			BME_OBSERVATION + "|marrow-differential", SD + "bme-differential-count",
			BME_OBSERVATION + "|marrow-interpretation", SD + "bme-interpretation");

	static final String DIFFERENTIAL_PROFILE = SD + "bme-differential-count";
	static final String DIFFERENTIAL_COMPONENTS = "https://bonemarrow-exam.example/fhir/ValueSet/bme-differential-components";

	/** Other studies a marrow report mentions (flow cytometry, cytogenetics, culture): bme-referenced-study. */
	static final String REFERENCED_STUDY_CODES = "https://bonemarrow-exam.example/fhir/ValueSet/bme-referenced-study-codes";

	/** Codes ("system|code") of the package's ValueSets by URL, read once: no second copy of them here. */
	private static final Map<String, Set<String>> PACKAGE_CODES = new java.util.concurrent.ConcurrentHashMap<>();

	/** Findings whose further OBX with the same OBX-4 sub-id are components (IG: OBX[Component]). */
	static final Set<String> WITH_COMPONENTS = Set.of(SD + "bme-blast-percentage", SD + "bme-differential-count");

	/**
	 * What identifies one OBR: the patient (PID-3), the order (placer number, else filler number) and the
	 * report (filler number).
	 */
	public record ReportKey(String mrn, String placerNumber, String fillerNumber) {}

	/** The stored order a report belongs to, as the handler found it. */
	public record OrderLink(String orderRef, String patientRef) {}

	private ResultMessageMapper() {}

	/** The OBRs of the message, in order, with what the handler needs to find their orders. */
	public static List<ReportKey> keys(ORU_R01 oru) {
		List<ReportKey> keys = new ArrayList<>();
		for (List<OrderGroup> report : reports(orders(oru))) {
			keys.add(key(report.get(0)));
		}
		if (keys.isEmpty()) {
			throw V2Rejection.error(ErrorCode.REQUIRED_FIELD_MISSING, "OBR", 0, "The ORU^R01 has no OBR segment, so it "
					+ "carries no report: send one OBR per report, with its OBX and SPM segments; nothing was stored");
		}
		return keys;
	}

	/**
	 * The FHIR transaction: per OBR its specimens (conditional create on SPM-2), results (conditional update
	 * on the result identifier) and report (conditional update on the filler order number).
	 *
	 * @param links the stored order of each OBR, in the order of {@link #keys}
	 */
	public static Bundle transaction(ORU_R01 oru, List<OrderLink> links) {
		return map(oru, links, CodeTranslator.NONE).transaction();
	}

	/** The transaction, and what was stored without being recognised (for the ACK's ERR segments of severity W). */
	public record Mapped(Bundle transaction, List<V2Warning> warnings) {}

	/**
	 * As {@link #transaction}, with the sender's code maps, and with the warnings: every CWE/CE read (OBR-4,
	 * OBX-3, OBX-5, SPM-4, SPM-7, SPM-8, SPM-9) also gets the codings the maps translate it to, and the
	 * sender's local codes are accepted when a map translates them ({@link V2Codes#translating}).
	 *
	 * @param links the stored order of each report, in the order of {@link #keys}
	 */
	public static Mapped map(ORU_R01 oru, List<OrderLink> links, CodeTranslator translator) {
		return V2Codes.translating(translator, () -> mapped(oru, links));
	}

	private static Mapped mapped(ORU_R01 oru, List<OrderLink> links) {
		Bundle b = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		List<List<OrderGroup>> reports = reports(orders(oru));
		List<V2Warning> warnings = new ArrayList<>();
		int[] obxSeen = {0};
		for (int i = 0; i < reports.size(); i++) {
			report(b, reports.get(i), key(reports.get(i).get(0)), links.get(i), warnings, obxSeen);
		}
		return new Mapped(b, List.copyOf(warnings));
	}

	private static ReportKey key(OrderGroup o) {
		String placer = first(V2Fields.entity(o.obr().getPlacerOrderNumber()), V2Fields.entity(o.orc().getPlacerOrderNumber()));
		String filler = first(V2Fields.entity(o.obr().getFillerOrderNumber()), V2Fields.entity(o.orc().getFillerOrderNumber()));
		V2Fields.required(filler, "OBR", 3, "the filler order number identifies the report (a correction replaces it)");
		return new ReportKey(o.mrn(), placer, filler);
	}

	/**
	 * The OBRs grouped into reports: one report per filler order number. Some laboratory systems send one OBR
	 * per specimen (aspirate, trephine) under the same filler order number; that is one report with both
	 * specimens, not two reports fighting over one identifier.
	 */
	private static List<List<OrderGroup>> reports(List<OrderGroup> orders) {
		Map<String, List<OrderGroup>> byFiller = new LinkedHashMap<>();
		for (OrderGroup o : orders) {
			ReportKey k = key(o);
			List<OrderGroup> same = byFiller.computeIfAbsent(k.fillerNumber(), f -> new ArrayList<>());
			if (!same.isEmpty() && !sameOrder(key(same.get(0)), k)) {
				throw V2Rejection.error(ErrorCode.DUPLICATE_KEY_IDENTIFIER, "OBR", 3, "OBR-3: two OBR segments share a "
						+ "filler order number but name different patients or orders; one filler order number is one "
						+ "report of one order; nothing was stored");
			}
			same.add(o);
		}
		return List.copyOf(byFiller.values());
	}

	private static boolean sameOrder(ReportKey a, ReportKey b) {
		return java.util.Objects.equals(a.mrn(), b.mrn()) && java.util.Objects.equals(a.placerNumber(), b.placerNumber());
	}

	/** One ORDER_OBSERVATION group with the PID it belongs to. */
	private record OrderGroup(String mrn, ORC orc, OBR obr, List<NTE> notes, List<ORU_R01_OBSERVATION> observations,
			List<ORU_R01_SPECIMEN> specimens) {}

	/** One OBX with the NTE comments that follow it. */
	private record ObxLine(OBX obx, List<NTE> notes) {}

	private static List<OrderGroup> orders(ORU_R01 oru) {
		try {
			List<OrderGroup> out = new ArrayList<>();
			for (ORU_R01_PATIENT_RESULT pr : oru.getPATIENT_RESULTAll()) {
				List<ORU_R01_ORDER_OBSERVATION> groups = pr.getORDER_OBSERVATIONAll();
				boolean any = groups.stream().anyMatch(g -> !isEmpty(g.getOBR()));
				if (!any) {
					continue;
				}
				String mrn = V2Fields.mrn(pr.getPATIENT().getPID());
				for (ORU_R01_ORDER_OBSERVATION g : groups) {
					if (!isEmpty(g.getOBR())) {
						out.add(new OrderGroup(mrn, g.getORC(), g.getOBR(), g.getNTEAll(), g.getOBSERVATIONAll(), g.getSPECIMENAll()));
					}
				}
			}
			return out;
		} catch (HL7Exception e) {
			throw V2Rejection.error(ErrorCode.SEGMENT_SEQUENCE_ERROR, "The message does not have the ORU^R01 structure");
		}
	}

	private static void report(Bundle b, List<OrderGroup> groups, ReportKey key, OrderLink link, List<V2Warning> warnings,
			int[] obxSeen) {
		OrderGroup o = groups.get(0);
		OBR obr = o.obr();
		Reference order = new Reference(link.orderRef());
		Reference patient = new Reference(link.patientRef());

		DiagnosticReport report = new DiagnosticReport();
		report.getMeta().addProfile(REPORT_PROFILE);
		report.addIdentifier(V2Fields.identifier(V2Codes.FILLER_SYSTEM, "FILL", key.fillerNumber()));
		report.addBasedOn(order);
		report.setStatus(reportStatus(V2Fields.required(V2Fields.text(obr.getResultStatus()), "OBR", 25,
				"the result status says whether the report is preliminary, final or corrected")));
		String section = V2Fields.text(obr.getDiagnosticServSectID());
		if (section != null) {
			report.addCategory(new CodeableConcept().addCoding(
					new org.hl7.fhir.r4.model.Coding(V2Codes.V2_TABLE_PREFIX + "0074", section, null)));
		}
		report.setCode(V2Fields.concept(obr.getUniversalServiceIdentifier(), "OBR", 4));
		report.setSubject(patient);
		DateTimeType observed = V2Dates.dateTime(V2Fields.text(obr.getObservationDateTime().getTime()), "OBR", 7);
		if (observed != null) {
			report.setEffective(observed);
		}
		DateTimeType issued = V2Dates.dateTime(V2Fields.text(obr.getResultsRptStatusChngDateTime().getTime()), "OBR", 22);
		if (issued != null) {
			report.setIssued(issued.getValue());
		}
		Reference interpreter = interpreter(obr.getPrincipalResultInterpreter().getNDLName());
		if (interpreter != null) {
			report.addPerformer(interpreter);
		}
		List<String> conclusion = new ArrayList<>();
		for (OrderGroup g : groups) {
			for (NTE nte : g.notes()) {
				String text = OrderMessageMapper.comment(nte);
				if (text != null) {
					conclusion.add(text);
				}
			}
		}
		if (!conclusion.isEmpty()) {
			report.setConclusion(String.join("\n", conclusion));
		}

		// SPM[Specimen]
		Map<ORU_R01_SPECIMEN, String> specimenUrls = new LinkedHashMap<>();
		Map<OrderGroup, String> firstSpecimenOf = new LinkedHashMap<>();
		for (OrderGroup g : groups) {
		for (ORU_R01_SPECIMEN group : g.specimens()) {
			SPM spm = group.getSPM();
			if (isEmpty(spm)) {
				continue;
			}
			Specimen specimen = specimen(spm, order, patient);
			String url = urn();
			specimenUrls.put(group, url);
			firstSpecimenOf.putIfAbsent(g, url);
			report.addSpecimen(new Reference(url));
			add(b, url, specimen, Bundle.HTTPVerb.POST, "Specimen")
					.getRequest().setIfNoneExist(V2Codes.identifierQuery(V2Codes.SPECIMEN_SYSTEM,
							specimen.getIdentifierFirstRep().getValue()));
		}
		}
		if (specimenUrls.isEmpty()) {
			throw V2Rejection.error(ErrorCode.REQUIRED_FIELD_MISSING, "SPM", 0,
					"SPM: a bone marrow report names the specimens it was made from; send one SPM per specimen after the OBX segments");
		}
		String firstSpecimen = specimenUrls.values().iterator().next();

		// OBX[Observation]: per OBR its own results (made from the OBR's first specimen, else the report's),
		// then those given with a specimen
		Set<String> resultIds = new HashSet<>();
		Context ctx = new Context(b, report, order, patient, observed, key.fillerNumber(), resultIds, warnings, obxSeen);
		for (OrderGroup g : groups) {
			observations(ctx, g.observations().stream().map(ResultMessageMapper::line).toList(),
					firstSpecimenOf.getOrDefault(g, firstSpecimen));
			for (ORU_R01_SPECIMEN group : g.specimens()) {
				String url = specimenUrls.get(group);
				if (url == null) {
					continue;
				}
				try {
					observations(ctx, group.getOBXAll().stream().map(obx -> new ObxLine(obx, List.of())).toList(), url);
				} catch (HL7Exception e) {
					throw V2Rejection.error(ErrorCode.SEGMENT_SEQUENCE_ERROR, "OBX", 0, "OBX after SPM could not be read");
				}
			}
		}

		add(b, urn(), report, Bundle.HTTPVerb.PUT,
				"DiagnosticReport?" + V2Codes.identifierQuery(V2Codes.FILLER_SYSTEM, key.fillerNumber()));
	}

	private record Context(Bundle bundle, DiagnosticReport report, Reference order, Reference patient,
			DateTimeType observed, String filler, Set<String> resultIds, List<V2Warning> warnings, int[] obxSeen) {

		/** The 1-based position of the next OBX in the message, for ERR-2.2. */
		int nextObx() {
			return ++obxSeen[0];
		}
	}

	private static ObxLine line(ORU_R01_OBSERVATION group) {
		try {
			return new ObxLine(group.getOBX(), group.getNTEAll());
		} catch (HL7Exception e) {
			throw V2Rejection.error(ErrorCode.SEGMENT_SEQUENCE_ERROR, "NTE", 0, "NTE after OBX could not be read");
		}
	}

	private static void observations(Context ctx, List<ObxLine> lines, String specimenUrl) {
		Map<String, Observation> parents = new LinkedHashMap<>();
		Observation previous = null;
		String previousKey = null;
		for (int i = 0; i < lines.size(); i++) {
			ObxLine line = lines.get(i);
			OBX obx = line.obx();
			if (isEmpty(obx)) {
				continue;
			}
			if (V2Attachments.isDocument(obx)) {
				// OBX-2 ED/RP is the report as a document (the signed PDF), not a finding: a presentedForm of the
				// report of this OBR (DiagnosticReport.presentedForm), never an Observation.
				ctx.report().addPresentedForm(V2Attachments.fromObx(obx, ctx.nextObx()));
				previous = null;
				continue;
			}
			int run = differentialRun(lines, i);
			if (run > 0) {
				Observation differential = differential(ctx, lines.subList(i, i + run), specimenUrl);
				for (int k = 0; k < run; k++) {
					ctx.nextObx();
				}
				String url = urn();
				ctx.report().addResult(new Reference(url));
				add(ctx.bundle(), url, differential, Bundle.HTTPVerb.PUT, "Observation?"
						+ V2Codes.identifierQuery(V2Codes.RESULT_SYSTEM, differential.getIdentifierFirstRep().getValue()));
				i += run - 1;
				previous = null;
				continue;
			}
			int sequence = ctx.nextObx();
			// As sent: a line whose code is none of ours (even a local code no map translates) is still stored.
			CodeableConcept code = V2Fields.conceptAsSent(obx.getObservationIdentifier(), "OBX", 3);
			if (code == null) {
				throw V2Rejection.error(ErrorCode.REQUIRED_FIELD_MISSING, "OBX", 3, "OBX-3: every result says what it "
						+ "is, with a code or at least a text (OBX-3.2); nothing was stored");
			}
			String subId = V2Fields.text(obx.getObservationSubID());
			String key = resultKey(code) + "|" + subId;
			// Several laboratory systems send a long text result as consecutive OBX, one line each, with the same
			// OBX-3 and sub-id: those are lines of one result, not results of their own.
			if (previous != null && key.equals(previousKey) && isText(obx) && previous.getValue() instanceof StringType text) {
				Type more = value(obx);
				if (more instanceof StringType next) {
					text.setValue(text.getValue() + "\n" + next.getValue());
				}
				notes(previous, line.notes());
				continue;
			}
			Observation parent = subId == null ? null : parents.get(subId);
			if (parent != null && parent.getMeta().hasProfile()
					&& WITH_COMPONENTS.contains(parent.getMeta().getProfile().get(0).getValue()) && profileOf(code) == null) {
				Type value = value(obx);
				Observation.ObservationComponentComponent component = parent.addComponent().setCode(code);
				if (value != null) {
					component.setValue(value);
				}
				notes(parent, line.notes());
				previous = null;
				continue;
			}
			String profile = profileOf(code);
			if (profile == null) {
				// A final report is never lost because one line of it is unfamiliar: the line is stored as the
				// laboratory sent it, and the ACK says what to map (README "Adding a sender's code map").
				ctx.warnings().add(new V2Warning(ErrorCode.TABLE_VALUE_NOT_FOUND, "OBX", sequence, 3, "OBX-3 '"
						+ describe(code) + "' is not a bone marrow finding this server knows; stored as a laboratory "
						+ "Observation with the code and text as sent, in the report's results"));
			}
			Observation obs = observation(ctx, obx, code, profile, subId, specimenUrl);
			notes(obs, line.notes());
			if (subId != null) {
				parents.putIfAbsent(subId, obs);
			}
			String url = urn();
			ctx.report().addResult(new Reference(url));
			add(ctx.bundle(), url, obs, Bundle.HTTPVerb.PUT, "Observation?"
					+ V2Codes.identifierQuery(V2Codes.RESULT_SYSTEM, obs.getIdentifierFirstRep().getValue()));
			previous = obs;
			previousKey = key;
		}
	}

	/**
	 * Many laboratory systems send a manual differential as one OBX per cell type, each with its own code and
	 * a percentage, with no OBX for the differential itself. A run of consecutive NM OBX in % without sub-id,
	 * each coded with a differential component (ValueSet bme-differential-components) or named by text only,
	 * at least one of them coded, is one differential count: the length of the run starting at {@code start},
	 * or 0.
	 */
	static int differentialRun(List<ObxLine> lines, int start) {
		int length = 0;
		boolean coded = false;
		for (int i = start; i < lines.size(); i++) {
			OBX obx = lines.get(i).obx();
			if (!"NM".equals(V2Fields.text(obx.getValueType())) || V2Fields.text(obx.getObservationSubID()) != null
					|| !"%".equals(V2Fields.text(obx.getUnits().getIdentifier()))) {
				break;
			}
			CodeableConcept code = V2Fields.conceptAsSent(obx.getObservationIdentifier(), "OBX", 3);
			if (code == null) {
				break;
			}
			boolean component = code.getCoding().stream().anyMatch(c -> differentialComponents().contains(c.getSystem() + "|" + c.getCode()));
			if (!component && code.hasCoding()) {
				break;
			}
			coded |= component;
			length++;
		}
		return coded && length > 1 ? length : 0;
	}

	private static Observation differential(Context ctx, List<ObxLine> run, String specimenUrl) {
		OBX first = run.get(0).obx();
		CodeableConcept code = new CodeableConcept().addCoding(
				new org.hl7.fhir.r4.model.Coding(BME_OBSERVATION, "marrow-differential", "Bone marrow differential count"));
		Observation obs = observation(ctx, first, code, DIFFERENTIAL_PROFILE, null, specimenUrl);
		// observation() copied the first row's value; a differential has its values in components only.
		obs.setValue(null);
		for (ObxLine line : run) {
			Observation.ObservationComponentComponent component = obs.addComponent()
					.setCode(V2Fields.conceptAsSent(line.obx().getObservationIdentifier(), "OBX", 3));
			Type value = value(line.obx());
			if (value != null) {
				component.setValue(value);
			}
			notes(obs, line.notes());
		}
		return obs;
	}

	private static Set<String> differentialComponents() {
		return packageCodes(DIFFERENTIAL_COMPONENTS);
	}

	private static Set<String> packageCodes(String valueSetUrl) {
		return PACKAGE_CODES.computeIfAbsent(valueSetUrl, url -> {
			Set<String> read = new HashSet<>();
			var vs = org.bonemarrow.server.profiles.BoneMarrowPackage.fromClasspath().findValueSet(url);
			for (var include : vs.getCompose().getInclude()) {
				include.getConcept().forEach(c -> read.add(include.getSystem() + "|" + c.getCode()));
			}
			return Set.copyOf(read);
		});
	}

	/** NTE after an OBX: notes of the result (IG: NTE[Observation.note]). */
	private static void notes(Observation obs, List<NTE> notes) {
		for (NTE nte : notes) {
			String text = OrderMessageMapper.comment(nte);
			if (text != null) {
				obs.addNote().setText(text);
			}
		}
	}

	private static boolean isText(OBX obx) {
		String type = V2Fields.text(obx.getValueType());
		return "TX".equals(type) || "FT".equals(type) || "ST".equals(type);
	}

	/**
	 * What makes a result's identifier: its first code, or for an OBX-3 with a text only, the text in a stable
	 * form (lower case, letters and digits), so that a correction of the same line matches it.
	 */
	static String resultKey(CodeableConcept code) {
		if (code.hasCoding() && code.getCodingFirstRep().hasCode()) {
			return code.getCodingFirstRep().getCode();
		}
		String slug = code.getText().toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
		return "text-" + (slug.length() > 40 ? slug.substring(0, 40) : slug);
	}

	/** The code (system name and code) or the text of an OBX-3, for the sender's analyst; never a result value. */
	private static String describe(CodeableConcept code) {
		if (code.hasCoding() && code.getCodingFirstRep().hasCode()) {
			var c = code.getCodingFirstRep();
			String v2 = V2Codes.v2Name(c.getSystem());
			if (v2 == null && c.getSystem() != null && c.getSystem().startsWith(V2Codes.LOCAL_SYSTEM_PREFIX)) {
				// The sender's own CWE-3 name, the last part of its local system URI.
				v2 = java.net.URLDecoder.decode(c.getSystem().substring(c.getSystem().lastIndexOf('/') + 1),
						java.nio.charset.StandardCharsets.UTF_8);
			}
			return c.getCode() + "^" + (c.hasDisplay() ? c.getDisplay() : "") + "^" + (v2 != null ? v2 : c.getSystem());
		}
		return "^" + code.getText();
	}

	private static Observation observation(Context ctx, OBX obx, CodeableConcept code, String profile, String subId,
			String specimenUrl) {
		Observation obs = new Observation();
		if (profile != null) {
			obs.getMeta().addProfile(profile);
		}
		String codeKey = resultKey(code);
		String resultId = ctx.filler() + "-" + codeKey + (subId == null ? "" : "-" + subId);
		if (!ctx.resultIds().add(resultId)) {
			throw V2Rejection.error(ErrorCode.DUPLICATE_KEY_IDENTIFIER, "OBX", 4, "OBX-3/OBX-4: the same finding appears "
					+ "twice in one OBR; give each its own OBX-4 sub-id");
		}
		obs.addIdentifier(new Identifier().setSystem(V2Codes.RESULT_SYSTEM).setValue(resultId));
		obs.addBasedOn(ctx.order());
		obs.setStatus(observationStatus(V2Fields.required(V2Fields.text(obx.getObservationResultStatus()), "OBX", 11,
				"the observation result status says whether the result is preliminary, final or corrected")));
		obs.addCategory(new CodeableConcept().addCoding(
				new org.hl7.fhir.r4.model.Coding(CATEGORY_SYSTEM, "laboratory", "Laboratory")));
		obs.setCode(code);
		obs.setSubject(ctx.patient());
		DateTimeType effective = V2Dates.dateTime(V2Fields.text(obx.getDateTimeOfTheObservation().getTime()), "OBX", 14);
		DateTimeType when = effective != null ? effective : ctx.observed();
		if (when != null) {
			obs.setEffective(when.copy());
		}
		for (XCN xcn : obx.getResponsibleObserver()) {
			Reference performer = V2Fields.practitioner(xcn);
			if (performer != null) {
				obs.addPerformer(performer);
			}
		}
		Type value = value(obx, profile == null);
		if (value != null) {
			obs.setValue(value);
		}
		obs.setSpecimen(new Reference(specimenUrl));
		return obs;
	}

	static String profileOf(CodeableConcept code) {
		if (code == null) {
			return null;
		}
		for (var c : code.getCoding()) {
			String key = c.getSystem() + "|" + c.getCode();
			String profile = FINDING_PROFILES.get(key);
			if (profile != null) {
				return profile;
			}
			if (packageCodes(REFERENCED_STUDY_CODES).contains(key)) {
				return SD + "bme-referenced-study";
			}
		}
		return null;
	}

	/** OBX-5 by OBX-2 (IG: OBX-5 by value type): TX/FT/ST string, NM Quantity, SN Ratio, CE/CWE CodeableConcept. */
	static Type value(OBX obx) {
		return value(obx, false);
	}

	/**
	 * @param asSent for a line stored as sent (none of our findings): a coded value in a local system no code
	 *     map translates is kept with its local system rather than refused, like its OBX-3
	 */
	static Type value(OBX obx, boolean asSent) {
		String type = V2Fields.text(obx.getValueType());
		Varies[] values = obx.getObservationValue();
		if (values.length == 0 || type == null) {
			return null;
		}
		switch (type) {
			case "TX", "FT", "ST" -> {
				List<String> lines = new ArrayList<>();
				for (Varies v : values) {
					if (v.getData() instanceof Primitive p && p.getValue() != null) {
						lines.add("FT".equals(type) ? p.getValue().replace("\\.br\\", "\n") : p.getValue());
					}
				}
				return lines.isEmpty() ? null : new StringType(String.join("\n", lines));
			}
			case "NM" -> {
				NM nm = (NM) values[0].getData();
				return quantity(number(V2Fields.text(nm)), obx.getUnits());
			}
			case "SN" -> {
				SN sn = (SN) values[0].getData();
				BigDecimal num1 = number(V2Fields.text(sn.getNum1()));
				String separator = V2Fields.text(sn.getSeparatorSuffix());
				if (separator == null) {
					Quantity q = quantity(num1, obx.getUnits());
					String comparator = V2Fields.text(sn.getComparator());
					if (comparator != null && !"=".equals(comparator)) {
						q.setComparator(Quantity.QuantityComparator.fromCode(comparator));
					}
					return q;
				}
				if (":".equals(separator) || "/".equals(separator)) {
					return new Ratio().setNumerator(new Quantity().setValue(num1))
							.setDenominator(new Quantity().setValue(number(V2Fields.text(sn.getNum2()))));
				}
				throw V2Rejection.error(ErrorCode.DATA_TYPE_ERROR, "OBX", 5,
						"OBX-5: structured numeric (SN) with separator '" + separator + "' is not supported; use ':' for a ratio");
			}
			case "CE" -> {
				CE ce = (CE) values[0].getData();
				return asSent ? V2Fields.conceptAsSent(ce, "OBX", 5) : V2Fields.concept(ce, "OBX", 5);
			}
			case "CWE" -> {
				CWE cwe = (CWE) values[0].getData();
				return asSent ? V2Fields.conceptAsSent(cwe, "OBX", 5) : V2Fields.concept(cwe, "OBX", 5);
			}
			default -> throw V2Rejection.error(ErrorCode.DATA_TYPE_ERROR, "OBX", 2,
					"OBX-2: value type '" + type + "' is not supported; use TX, FT, ST, NM, SN, CE or CWE (ED or RP for "
							+ "the report as a document)");
		}
	}

	private static Quantity quantity(BigDecimal value, CE units) {
		Quantity q = new Quantity().setValue(value);
		String unit = V2Fields.text(units.getIdentifier());
		if (unit != null) {
			q.setUnit(first(V2Fields.text(units.getText()), unit));
			if ("UCUM".equals(V2Fields.text(units.getNameOfCodingSystem()))) {
				q.setSystem(V2Codes.UCUM).setCode(unit);
			}
		}
		return q;
	}

	private static BigDecimal number(String s) {
		if (s == null) {
			return null;
		}
		try {
			return new BigDecimal(s);
		} catch (NumberFormatException e) {
			throw V2Rejection.error(ErrorCode.DATA_TYPE_ERROR, "OBX", 5, "OBX-5: not a number");
		}
	}

	/** SPM[Specimen]. */
	static Specimen specimen(SPM spm, Reference order, Reference patient) {
		Specimen s = new Specimen();
		s.getMeta().addProfile(SPECIMEN_PROFILE);
		EI filler = spm.getSpecimenID().getFillerAssignedIdentifier();
		EI placer = spm.getSpecimenID().getPlacerAssignedIdentifier();
		String id = V2Fields.required(first(V2Fields.entity(filler), V2Fields.entity(placer)), "SPM", 2,
				"the specimen id identifies the specimen (a correction must not add a second one)");
		s.addIdentifier(new Identifier().setSystem(V2Codes.SPECIMEN_SYSTEM).setValue(id));
		String availability = V2Fields.text(spm.getSpecimenAvailability());
		if ("Y".equals(availability)) {
			s.setStatus(Specimen.SpecimenStatus.AVAILABLE);
		} else if ("N".equals(availability)) {
			s.setStatus(Specimen.SpecimenStatus.UNAVAILABLE);
		}
		s.setType(V2Fields.concept(spm.getSpecimenType(), "SPM", 4));
		s.setSubject(patient.copy());
		s.addRequest(order.copy());
		DateTimeType received = V2Dates.dateTime(V2Fields.text(spm.getSpecimenReceivedDateTime().getTime()), "SPM", 18);
		if (received != null) {
			s.setReceivedTimeElement(received);
		}
		Specimen.SpecimenCollectionComponent collection = s.getCollection();
		DateTimeType collected = V2Dates.dateTime(
				V2Fields.text(spm.getSpecimenCollectionDateTime().getRangeStartDateTime().getTime()), "SPM", 17);
		if (collected != null) {
			collection.setCollected(collected);
		}
		CodeableConcept method = V2Fields.concept(spm.getSpecimenCollectionMethod(), "SPM", 7);
		if (method != null) {
			collection.setMethod(method);
		}
		CodeableConcept site = V2Fields.concept(spm.getSpecimenSourceSite(), "SPM", 8);
		if (site != null) {
			for (CWE modifier : spm.getSpecimenSourceSiteModifier()) {
				CodeableConcept qualifier = V2Fields.concept(modifier, "SPM", 9);
				if (qualifier != null) {
					site.addExtension(new Extension(QUALIFIER_EXTENSION, qualifier));
				}
			}
			collection.setBodySite(site);
		}
		return s;
	}

	private static Reference interpreter(CNN cnn) {
		return V2Fields.practitioner(V2Fields.text(cnn.getIDNumber()), V2Fields.text(cnn.getPrefixEgDR()),
				V2Fields.text(cnn.getGivenName()), V2Fields.text(cnn.getFamilyName()));
	}

	/** HL7 table 0123 to DiagnosticReport.status (IG ConceptMap for table 0123). */
	static DiagnosticReport.DiagnosticReportStatus reportStatus(String v2) {
		return switch (v2) {
			case "O", "I" -> DiagnosticReport.DiagnosticReportStatus.REGISTERED;
			case "S", "A", "R" -> DiagnosticReport.DiagnosticReportStatus.PARTIAL;
			case "P" -> DiagnosticReport.DiagnosticReportStatus.PRELIMINARY;
			case "F" -> DiagnosticReport.DiagnosticReportStatus.FINAL;
			case "C" -> DiagnosticReport.DiagnosticReportStatus.CORRECTED;
			case "X" -> DiagnosticReport.DiagnosticReportStatus.CANCELLED;
			default -> throw V2Rejection.error(ErrorCode.TABLE_VALUE_NOT_FOUND, "OBR", 25,
					"OBR-25: result status must be one of O, I, S, A, R, P, F, C, X (HL7 table 0123)");
		};
	}

	/** HL7 table 0085 to Observation.status (IG ConceptMap for table 0085). */
	static Observation.ObservationStatus observationStatus(String v2) {
		return switch (v2) {
			case "F" -> Observation.ObservationStatus.FINAL;
			case "C" -> Observation.ObservationStatus.CORRECTED;
			case "P", "S" -> Observation.ObservationStatus.PRELIMINARY;
			case "R", "I", "O" -> Observation.ObservationStatus.REGISTERED;
			case "X" -> Observation.ObservationStatus.CANCELLED;
			case "W", "D" -> Observation.ObservationStatus.ENTEREDINERROR;
			default -> throw V2Rejection.error(ErrorCode.TABLE_VALUE_NOT_FOUND, "OBX", 11,
					"OBX-11: observation result status must be one of F, C, P, S, R, I, O, X, W, D (HL7 table 0085)");
		};
	}

	private static Bundle.BundleEntryComponent add(Bundle b, String fullUrl, Resource resource, Bundle.HTTPVerb verb,
			String url) {
		Bundle.BundleEntryComponent e = b.addEntry().setFullUrl(fullUrl).setResource(resource);
		e.getRequest().setMethod(verb).setUrl(url);
		return e;
	}

	private static String urn() {
		return "urn:uuid:" + UUID.randomUUID();
	}

	private static String first(String a, String b) {
		return a != null ? a : b;
	}

	private static boolean isEmpty(ca.uhn.hl7v2.model.Structure s) {
		try {
			return s == null || s.isEmpty();
		} catch (HL7Exception e) {
			return true;
		}
	}
}

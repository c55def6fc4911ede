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
			V2Codes.LOINC + "|74233-8", SD + "bme-blast-percentage",
			V2Codes.LOINC + "|11138-5", SD + "bme-me-ratio",
			V2Codes.LOINC + "|13513-7", SD + "bme-iron-stores",
			BME_OBSERVATION + "|marrow-differential", SD + "bme-differential-count",
			BME_OBSERVATION + "|marrow-interpretation", SD + "bme-interpretation");

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
		for (OrderGroup o : orders(oru)) {
			String placer = first(V2Fields.entity(o.obr().getPlacerOrderNumber()), V2Fields.entity(o.orc().getPlacerOrderNumber()));
			String filler = first(V2Fields.entity(o.obr().getFillerOrderNumber()), V2Fields.entity(o.orc().getFillerOrderNumber()));
			V2Fields.required(filler, "OBR", 3, "the filler order number identifies the report (a correction replaces it)");
			keys.add(new ReportKey(o.mrn(), placer, filler));
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
		return transaction(oru, links, CodeTranslator.NONE);
	}

	/**
	 * The same, with the sender's code maps: every CWE/CE read (OBR-4, OBX-3, OBX-5, SPM-4, SPM-7, SPM-8,
	 * SPM-9) also gets the codings the maps translate it to, and the sender's local codes are accepted when
	 * a map translates them ({@link V2Codes#translating}).
	 */
	public static Bundle transaction(ORU_R01 oru, List<OrderLink> links, CodeTranslator translator) {
		return V2Codes.translating(translator, () -> mapped(oru, links));
	}

	private static Bundle mapped(ORU_R01 oru, List<OrderLink> links) {
		Bundle b = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		List<OrderGroup> orders = orders(oru);
		List<ReportKey> keys = keys(oru);
		for (int i = 0; i < orders.size(); i++) {
			report(b, orders.get(i), keys.get(i), links.get(i));
		}
		return b;
	}

	/** One ORDER_OBSERVATION group with the PID it belongs to. */
	private record OrderGroup(String mrn, ORC orc, OBR obr, List<NTE> notes, List<ORU_R01_OBSERVATION> observations,
			List<ORU_R01_SPECIMEN> specimens) {}

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

	private static void report(Bundle b, OrderGroup o, ReportKey key, OrderLink link) {
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
		for (NTE nte : o.notes()) {
			String text = OrderMessageMapper.comment(nte);
			if (text != null) {
				conclusion.add(text);
			}
		}
		if (!conclusion.isEmpty()) {
			report.setConclusion(String.join("\n", conclusion));
		}

		// SPM[Specimen]
		Map<ORU_R01_SPECIMEN, String> specimenUrls = new LinkedHashMap<>();
		for (ORU_R01_SPECIMEN group : o.specimens()) {
			SPM spm = group.getSPM();
			if (isEmpty(spm)) {
				continue;
			}
			Specimen specimen = specimen(spm, order, patient);
			String url = urn();
			specimenUrls.put(group, url);
			report.addSpecimen(new Reference(url));
			add(b, url, specimen, Bundle.HTTPVerb.POST, "Specimen")
					.getRequest().setIfNoneExist(V2Codes.identifierQuery(V2Codes.SPECIMEN_SYSTEM,
							specimen.getIdentifierFirstRep().getValue()));
		}
		if (specimenUrls.isEmpty()) {
			throw V2Rejection.error(ErrorCode.REQUIRED_FIELD_MISSING, "SPM", 0,
					"SPM: a bone marrow report names the specimens it was made from; send one SPM per specimen after the OBX segments");
		}
		String firstSpecimen = specimenUrls.values().iterator().next();

		// OBX[Observation]: the OBR's own results, then those given with a specimen
		Set<String> resultIds = new HashSet<>();
		Context ctx = new Context(b, report, order, patient, observed, key.fillerNumber(), resultIds);
		observations(ctx, o.observations().stream().map(ORU_R01_OBSERVATION::getOBX).toList(), firstSpecimen);
		for (Map.Entry<ORU_R01_SPECIMEN, String> s : specimenUrls.entrySet()) {
			try {
				observations(ctx, s.getKey().getOBXAll(), s.getValue());
			} catch (HL7Exception e) {
				throw V2Rejection.error(ErrorCode.SEGMENT_SEQUENCE_ERROR, "OBX", 0, "OBX after SPM could not be read");
			}
		}

		add(b, urn(), report, Bundle.HTTPVerb.PUT,
				"DiagnosticReport?" + V2Codes.identifierQuery(V2Codes.FILLER_SYSTEM, key.fillerNumber()));
	}

	private record Context(Bundle bundle, DiagnosticReport report, Reference order, Reference patient,
			DateTimeType observed, String filler, Set<String> resultIds) {}

	private static void observations(Context ctx, List<OBX> obxs, String specimenUrl) {
		Map<String, Observation> parents = new LinkedHashMap<>();
		for (OBX obx : obxs) {
			if (isEmpty(obx)) {
				continue;
			}
			CodeableConcept code = V2Fields.concept(obx.getObservationIdentifier(), "OBX", 3);
			String subId = V2Fields.text(obx.getObservationSubID());
			Observation parent = subId == null ? null : parents.get(subId);
			if (parent != null && WITH_COMPONENTS.contains(parent.getMeta().getProfile().get(0).getValue())
					&& profileOf(code) == null) {
				Type value = value(obx);
				Observation.ObservationComponentComponent component = parent.addComponent().setCode(code);
				if (value != null) {
					component.setValue(value);
				}
				continue;
			}
			String profile = profileOf(code);
			if (profile == null) {
				throw V2Rejection.error(ErrorCode.TABLE_VALUE_NOT_FOUND, "OBX", 3, "OBX-3: not a bone marrow finding this "
						+ "server accepts over HL7 v2; accepted: 74232-0^^LN (cellularity), 74233-8^^LN (blasts), "
						+ "11138-5^^LN (M:E ratio), 13513-7^^LN (iron stores), marrow-differential^^99BMEOBS, "
						+ "marrow-interpretation^^99BMEOBS");
			}
			Observation obs = observation(ctx, obx, code, profile, subId, specimenUrl);
			if (subId != null) {
				parents.putIfAbsent(subId, obs);
			}
			String url = urn();
			ctx.report().addResult(new Reference(url));
			add(ctx.bundle(), url, obs, Bundle.HTTPVerb.PUT, "Observation?"
					+ V2Codes.identifierQuery(V2Codes.RESULT_SYSTEM, obs.getIdentifierFirstRep().getValue()));
		}
	}

	private static Observation observation(Context ctx, OBX obx, CodeableConcept code, String profile, String subId,
			String specimenUrl) {
		Observation obs = new Observation();
		obs.getMeta().addProfile(profile);
		String codeKey = code.getCodingFirstRep().getCode();
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
		Type value = value(obx);
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
			String profile = FINDING_PROFILES.get(c.getSystem() + "|" + c.getCode());
			if (profile != null) {
				return profile;
			}
		}
		return null;
	}

	/** OBX-5 by OBX-2 (IG: OBX-5 by value type): TX/FT/ST string, NM Quantity, SN Ratio, CE/CWE CodeableConcept. */
	static Type value(OBX obx) {
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
				return V2Fields.concept((CE) values[0].getData(), "OBX", 5);
			}
			case "CWE" -> {
				return V2Fields.concept((CWE) values[0].getData(), "OBX", 5);
			}
			default -> throw V2Rejection.error(ErrorCode.DATA_TYPE_ERROR, "OBX", 2,
					"OBX-2: value type '" + type + "' is not supported; use TX, FT, ST, NM, SN, CE or CWE");
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

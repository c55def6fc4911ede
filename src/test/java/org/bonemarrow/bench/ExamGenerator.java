package org.bonemarrow.bench;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.bonemarrow.server.support.SampleBundles;
import org.hl7.fhir.r4.model.BaseDateTimeType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Ratio;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;

/**
 * Makes N exams from the committed valid samples, seeded: each exam is one sample with its identifiers
 * made unique ({@link SampleBundles#unique}), every date shifted back by the same random number of days
 * (so order, collection and report keep their sequence), the M:E ratio varied within a plausible range,
 * and fresh urn:uuids. Staying this close to the samples is what keeps every exam valid against our
 * profiles: the samples themselves are validated by the test suite.
 */
final class ExamGenerator {

	static final List<String> SAMPLES = List.of(
			"exam-suspected-leukaemia.json",
			"exam-lymphoma-staging.json",
			"exam-iron-assessment.json",
			"exam-myeloma-treatment-monitoring.json",
			"exam-fever-unknown-origin-culture.json",
			"exam-post-transplant-assessment.json");
	private static final Set<String> ORDER_PART = Set.of("Patient", "Practitioner", "MedicationStatement", "ServiceRequest");
	private static final Set<String> LAB_PART = Set.of("Specimen", "Observation", "DiagnosticReport");
	private static final long DAY_MS = 86_400_000L;

	private final FhirContext ctx = FhirContext.forR4Cached();
	private final Random random;
	private final String runTag;

	ExamGenerator(long seed) {
		this.random = new Random(seed);
		// Identifiers differ per seed, so runs with different seeds can share a database.
		this.runTag = "bench" + seed;
	}

	List<GeneratedExam> generate(int count) {
		List<GeneratedExam> exams = new ArrayList<>(count);
		for (int i = 0; i < count; i++) {
			exams.add(next(runTag + "-" + i));
		}
		return exams;
	}

	private GeneratedExam next(String suffix) {
		Bundle sample = SampleBundles.unique(SAMPLES.get(random.nextInt(SAMPLES.size())), suffix);
		long shift = (1 + random.nextInt(700)) * DAY_MS;
		Bundle order = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		Bundle lab = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		List<String> orderFullUrls = new ArrayList<>();
		for (Bundle.BundleEntryComponent entry : sample.getEntry()) {
			Resource r = entry.getResource();
			shiftDates(r, shift);
			if (ORDER_PART.contains(r.fhirType())) {
				if (r instanceof ServiceRequest sr) {
					// The EHR sends the order active; the adapter completes it when the final report arrives.
					sr.setStatus(ServiceRequest.ServiceRequestStatus.ACTIVE);
				}
				order.addEntry(entry);
				orderFullUrls.add(entry.getFullUrl());
			} else if (LAB_PART.contains(r.fhirType())) {
				varyValues(r);
				lab.addEntry(entry);
			}
			// The sample's Procedures are left out: the adapter makes the exam Procedure from the order, and
			// the performing service's update of it is not part of this workload (BENCHMARKS.md).
		}
		IParser json = ctx.newJsonParser();
		String orderJson = json.encodeResourceToString(order);
		String labJson = json.encodeResourceToString(lab);
		// Fresh urn:uuids per exam, as a real client would mint them.
		Map<String, String> renamed = new LinkedHashMap<>();
		for (Bundle.BundleEntryComponent e : sample.getEntry()) {
			renamed.put(e.getFullUrl(), "urn:uuid:" + new UUID(random.nextLong(), random.nextLong()));
		}
		for (Map.Entry<String, String> e : renamed.entrySet()) {
			orderJson = orderJson.replace("\"" + e.getKey() + "\"", "\"" + e.getValue() + "\"");
			labJson = labJson.replace("\"" + e.getKey() + "\"", "\"" + e.getValue() + "\"");
		}
		return new GeneratedExam(orderJson, orderFullUrls.stream().map(renamed::get).toList(), labJson,
				order.getEntry().size(), lab.getEntry().size());
	}

	private void shiftDates(Resource r, long shiftMs) {
		for (BaseDateTimeType d : ctx.newTerser().getAllPopulatedChildElementsOfType(r, BaseDateTimeType.class)) {
			if (d.getValue() != null) {
				d.setValue(new Date(d.getValue().getTime() - shiftMs), d.getPrecision());
			}
		}
	}

	/** M:E ratio between 0.8 and 5.0 to one decimal: the range seen in practice, within every profile. */
	private void varyValues(Resource r) {
		if (r instanceof Observation o && o.hasValueRatio()) {
			Ratio ratio = o.getValueRatio();
			BigDecimal value = BigDecimal.valueOf(8 + random.nextInt(43)).divide(BigDecimal.TEN, 1, RoundingMode.UNNECESSARY);
			ratio.getNumerator().setValue(value);
		}
	}
}

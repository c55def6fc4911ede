package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.ErrorCode;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Specimen;
import org.hl7.fhir.r4.model.Type;

/**
 * What a laboratory's SPM leaves out but the exam already knows. Most laboratory systems send no collection
 * method (SPM-7), site (SPM-8) or collection time (SPM-17): the collecting service recorded them. For each
 * Specimen of a result transaction that lacks one, it is taken from, in this order:
 * <ol>
 * <li>a Specimen already stored for the same order and of the same kind (aspirate or trephine core);</li>
 * <li>the order's Procedure: bodySite, performed time (dateTime or period start);</li>
 * <li>the order itself: bodySite; for the method, the kind of specimen, which follows from its type
 *     (SNOMED CT 396997002 is an aspirate, collected by aspiration, as invariant bme-spec-1 wants; 119359002
 *     is the trephine core, collected by biopsy) or else from the exam ordered (49401003, aspiration only).
 *     A type that says neither (e.g. table 0487 MAR alone) in an exam with both is not guessed.</li>
 * </ol>
 * What was filled is recorded in one Provenance per message (HL7 v2-to-FHIR IG: a Provenance per message),
 * targeting each filled Specimen, with the exam records it came from as entities (role source) and the
 * fields in its reason. A field that can be neither read nor filled is refused (AE 101) at that field.
 * Pure: the handler reads the exam records.
 */
public final class SpecimenGaps {

	static final String SCT = V2Codes.SNOMED;
	static final String ASPIRATE_TYPE = "396997002";
	static final String MARROW_TYPE = "119359002";
	static final String ASPIRATION = "129316008";
	static final String BIOPSY = "129314006";
	static final String ASPIRATION_EXAM = "49401003";
	static final String GATEWAY_ID = "bone-marrow-exam-v2-gateway";
	static final String SOFTWARE_SYSTEM = "https://bonemarrow-exam.example/fhir/sid/software";

	/** What the server holds about one order's exam. */
	public record Exam(ServiceRequest order, List<Procedure> procedures, List<Specimen> specimens) {}

	private SpecimenGaps() {}

	/**
	 * Fills the gaps of every Specimen entry of the transaction and adds the Provenance when anything was
	 * filled.
	 *
	 * @param exams the exam of each order the transaction's Specimens are for, by order reference ({@code ServiceRequest/1})
	 * @return the filled fields, e.g. {@code SPM-7}, for the log
	 */
	public static Set<String> fill(Bundle transaction, Map<String, Exam> exams) {
		return fill(transaction, (Function<String, Exam>) exams::get);
	}

	/**
	 * The same, asking for an order's exam only when one of its Specimens has a gap: most messages have none,
	 * and reading the exam costs two searches.
	 *
	 * @param exams the exam of an order by its reference, or null when unknown
	 */
	public static Set<String> fill(Bundle transaction, Function<String, Exam> exams) {
		Set<String> filledFields = new LinkedHashSet<>();
		Provenance provenance = new Provenance();
		Set<String> sources = new LinkedHashSet<>();
		List<String> reasons = new ArrayList<>();
		for (Bundle.BundleEntryComponent entry : transaction.getEntry()) {
			if (!(entry.getResource() instanceof Specimen specimen)) {
				continue;
			}
			Specimen.SpecimenCollectionComponent c = specimen.getCollection();
			if (c.hasMethod() && c.hasBodySite() && c.hasCollected()) {
				continue;
			}
			Exam exam = specimen.getRequest().isEmpty() ? null : exams.apply(specimen.getRequestFirstRep().getReference());
			List<String> filled = fill(specimen, exam, sources);
			if (!filled.isEmpty()) {
				provenance.addTarget(new Reference(entry.getFullUrl()));
				reasons.add(String.join("; ", filled));
				filled.forEach(f -> filledFields.add(f.substring(0, f.indexOf(' '))));
			}
		}
		if (provenance.hasTarget()) {
			provenance.setRecorded(new Date());
			provenance.setActivity(new CodeableConcept().setText("HL7 v2 result: specimen fields the message left "
					+ "empty were filled from the exam record"));
			provenance.addReason().setText(String.join(" | ", reasons));
			Provenance.ProvenanceAgentComponent agent = provenance.addAgent();
			agent.setType(new CodeableConcept(new Coding(
					"http://terminology.hl7.org/CodeSystem/provenance-participant-type", "assembler", "Assembler")));
			agent.setWho(new Reference().setType("Device")
					.setIdentifier(new Identifier().setSystem(SOFTWARE_SYSTEM).setValue(GATEWAY_ID))
					.setDisplay("bone marrow exam HL7 v2 gateway"));
			for (String source : sources) {
				provenance.addEntity().setRole(Provenance.ProvenanceEntityRole.SOURCE).setWhat(new Reference(source));
			}
			Bundle.BundleEntryComponent e = transaction.addEntry().setFullUrl("urn:uuid:" + java.util.UUID.randomUUID())
					.setResource(provenance);
			e.getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Provenance");
		}
		return filledFields;
	}

	/** Fills one Specimen; returns what was filled and from where, e.g. "SPM-8 body site from Procedure/4". */
	static List<String> fill(Specimen s, Exam exam, Set<String> sources) {
		List<String> filled = new ArrayList<>();
		Specimen.SpecimenCollectionComponent collection = s.getCollection();
		boolean aspirate = isAspirate(s);
		Optional<Specimen> sameKind = exam == null ? Optional.empty() : exam.specimens().stream()
				.filter(stored -> isAspirate(stored) == aspirate).findFirst();
		if (!collection.hasMethod()) {
			Optional<Specimen> from = sameKind.filter(k -> k.getCollection().hasMethod());
			if (from.isPresent()) {
				collection.setMethod(from.get().getCollection().getMethod().copy());
				filled.add(note("SPM-7 collection method", from.get(), sources));
			} else if (exam != null && (aspirate || orderedAspirationOnly(exam.order()) || isMarrowSpecimen(s))) {
				boolean aspiration = aspirate || orderedAspirationOnly(exam.order());
				collection.setMethod(new CodeableConcept(aspiration
						? new Coding(SCT, ASPIRATION, "Aspiration - action")
						: new Coding(SCT, BIOPSY, "Biopsy - action")));
				filled.add(note("SPM-7 collection method (from the specimen type and the exam ordered)", exam.order(), sources));
			} else {
				throw missing(7, "the collection method: the specimen type (SPM-4) says neither aspirate nor trephine "
						+ "core and the exam ordered has both");
			}
		}
		if (!collection.hasBodySite()) {
			Optional<Specimen> from = sameKind.filter(k -> k.getCollection().hasBodySite());
			Optional<Procedure> procedure = exam == null ? Optional.empty()
					: exam.procedures().stream().filter(Procedure::hasBodySite).findFirst();
			if (from.isPresent()) {
				collection.setBodySite(from.get().getCollection().getBodySite().copy());
				filled.add(note("SPM-8 body site", from.get(), sources));
			} else if (procedure.isPresent()) {
				collection.setBodySite(procedure.get().getBodySiteFirstRep().copy());
				filled.add(note("SPM-8 body site", procedure.get(), sources));
			} else if (exam != null && exam.order().hasBodySite()) {
				collection.setBodySite(exam.order().getBodySiteFirstRep().copy());
				filled.add(note("SPM-8 body site", exam.order(), sources));
			} else {
				throw missing(8, "the collection site, and neither the order's procedure nor the order records one");
			}
		}
		if (!collection.hasCollected()) {
			Optional<Specimen> from = sameKind.filter(k -> k.getCollection().hasCollected());
			Optional<Procedure> procedure = exam == null ? Optional.empty()
					: exam.procedures().stream().filter(p -> performedTime(p) != null).findFirst();
			if (from.isPresent()) {
				collection.setCollected(from.get().getCollection().getCollected().copy());
				filled.add(note("SPM-17 collection time", from.get(), sources));
			} else if (procedure.isPresent()) {
				collection.setCollected(performedTime(procedure.get()));
				filled.add(note("SPM-17 collection time", procedure.get(), sources));
			} else {
				throw missing(17, "the collection time, and the order's procedure records no performed time");
			}
		}
		return filled;
	}

	private static String note(String what, org.hl7.fhir.r4.model.Resource from, Set<String> sources) {
		String ref = from.getIdElement().toUnqualifiedVersionless().getValue();
		sources.add(ref);
		return what + " from " + ref;
	}

	private static DateTimeType performedTime(Procedure p) {
		Type performed = p.getPerformed();
		if (performed instanceof DateTimeType dt && dt.hasValue()) {
			return dt.copy();
		}
		if (performed instanceof org.hl7.fhir.r4.model.Period period && period.hasStart()) {
			return period.getStartElement().copy();
		}
		return null;
	}

	private static boolean orderedAspirationOnly(ServiceRequest order) {
		return order.getCode().getCoding().stream().anyMatch(c -> SCT.equals(c.getSystem()) && ASPIRATION_EXAM.equals(c.getCode()));
	}

	/** A non-aspirate marrow specimen (SNOMED CT 119359002, the trephine core in bme-specimen-types). */
	static boolean isMarrowSpecimen(Specimen s) {
		return s.getType().getCoding().stream().anyMatch(c -> SCT.equals(c.getSystem()) && MARROW_TYPE.equals(c.getCode()));
	}

	/** An aspirate: its type is SNOMED CT 396997002 (after the code maps, e.g. HL7 table 0487 ASP). */
	static boolean isAspirate(Specimen s) {
		return s.getType().getCoding().stream().anyMatch(c -> SCT.equals(c.getSystem()) && ASPIRATE_TYPE.equals(c.getCode()));
	}

	private static V2Rejection missing(int field, String what) {
		return V2Rejection.error(ErrorCode.REQUIRED_FIELD_MISSING, "SPM", field, "SPM-" + field + " is empty and the "
				+ "exam record does not know " + what + "; send it in SPM-" + field + "; nothing was stored");
	}
}

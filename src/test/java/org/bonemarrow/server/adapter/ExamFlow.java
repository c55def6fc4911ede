package org.bonemarrow.server.adapter;

import ca.uhn.fhir.context.FhirContext;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bonemarrow.server.support.SampleBundles;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;

/**
 * One sample exam cut into the messages real systems send, step by step: the EHR's order (with its
 * patient and practitioners), the performing service's procedure and specimens, the lab's report with
 * its observations. References between steps are rewritten from the sample's urn:uuids to the ids the
 * server assigned, as a real client would.
 */
final class ExamFlow {

	private static final FhirContext CTX = FhirContext.forR4Cached();
	private static final Set<String> ORDER_PART = Set.of("Patient", "Practitioner", "MedicationStatement", "ServiceRequest");

	final Bundle sample;
	final Map<String, String> ids = new HashMap<>();

	ExamFlow(String file) {
		this.sample = SampleBundles.unique(file);
	}

	/** The EHR's transaction: patient, practitioners, supporting info and the order, status active. */
	Bundle orderTransaction() {
		Bundle b = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		for (Bundle.BundleEntryComponent e : sample.getEntry()) {
			if (ORDER_PART.contains(e.getResource().fhirType())) {
				Bundle.BundleEntryComponent copy = e.copy();
				if (copy.getResource() instanceof ServiceRequest sr) {
					sr.setStatus(ServiceRequest.ServiceRequestStatus.ACTIVE);
				}
				b.addEntry(copy);
			}
		}
		return b;
	}

	/** Remembers server ids from a transaction-response, entry by entry. */
	void record(Bundle request, Bundle response) {
		for (int i = 0; i < request.getEntry().size(); i++) {
			String location = response.getEntry().get(i).getResponse().getLocation();
			String id = location.replaceAll("/_history/.*$", "");
			ids.put(request.getEntry().get(i).getFullUrl(), id);
		}
	}

	String orderId() {
		return idOf("ServiceRequest");
	}

	String patientId() {
		return idOf("Patient");
	}

	String idOf(String type) {
		return ids.get(fullUrlOf(type));
	}

	String fullUrlOf(String type) {
		return sample.getEntry().stream().filter(e -> e.getResource().fhirType().equals(type)).findFirst()
				.orElseThrow().getFullUrl();
	}

	/** The server's Procedure for the order stands in for the sample's exam Procedure (partOf links). */
	void adoptProcedure(String procedureId) {
		for (Bundle.BundleEntryComponent e : sample.getEntry()) {
			if (e.getResource() instanceof Procedure p && p.hasBasedOn()) {
				ids.put(e.getFullUrl(), procedureId);
			}
		}
	}

	/** The exam Procedure of the sample (the one basedOn the order), references rewritten. */
	Procedure sampleProcedure() {
		for (Bundle.BundleEntryComponent e : sample.getEntry()) {
			if (e.getResource() instanceof Procedure p && p.hasBasedOn()) {
				return (Procedure) rewrite(p.copy());
			}
		}
		throw new IllegalStateException("no exam procedure in sample");
	}

	/** A transaction of the sample's resources of the given types, references rewritten. */
	Bundle transactionOf(List<String> types) {
		Bundle b = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		for (Bundle.BundleEntryComponent e : sample.getEntry()) {
			if (types.contains(e.getResource().fhirType()) && !(e.getResource() instanceof Procedure p && p.hasBasedOn())) {
				Bundle.BundleEntryComponent copy = e.copy();
				rewrite(copy.getResource());
				b.addEntry(copy);
			}
		}
		return b;
	}

	/** The lab's transaction: observations and the report with the given status. */
	Bundle reportTransaction(DiagnosticReport.DiagnosticReportStatus status) {
		Bundle b = transactionOf(List.of("Observation", "DiagnosticReport"));
		for (Bundle.BundleEntryComponent e : b.getEntry()) {
			if (e.getResource() instanceof DiagnosticReport r) {
				r.setStatus(status);
			}
		}
		return b;
	}

	Resource rewrite(Resource r) {
		for (Reference ref : CTX.newTerser().getAllPopulatedChildElementsOfType(r, Reference.class)) {
			String to = ids.get(ref.getReference());
			if (to != null) {
				ref.setReference(to);
			}
		}
		return r;
	}
}

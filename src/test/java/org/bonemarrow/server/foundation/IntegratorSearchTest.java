package org.bonemarrow.server.foundation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bonemarrow.server.support.Fixtures.*;

import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The searches an integration engineer runs against an exam, each on its own freshly stored exam. */
@FhirServerTest
class IntegratorSearchTest extends RestTestBase {

	private String patient, order, procedure, aspirate, core, observation, report, placer;

	@BeforeEach
	void storeExam() {
		placer = unique("placer");
		patient = create(patient(unique("mrn")));
		order = create(order(placer, patient));
		// The server's workflow makes the order's Procedure (status preparation); the test looks it up.
		procedure = ids("/Procedure?based-on=" + order).get(0);
		aspirate = create(aspirate(order, patient));
		core = create(core(order, patient));
		observation = create(meRatio(patient, aspirate, 2.5));
		// Preliminary: a final report would complete the order, and these searches look for an active one.
		DiagnosticReport r = report(order, patient, DiagnosticReport.DiagnosticReportStatus.PRELIMINARY, aspirate, core);
		r.addResult().setReference(observation);
		report = create(r);
	}

	@Test
	void ordersByPatientStatusAndIdentifier() {
		assertThat(ids("/ServiceRequest?patient=" + patient)).containsExactly(order);
		assertThat(ids("/ServiceRequest?patient=" + patient + "&status=active")).containsExactly(order);
		assertThat(ids("/ServiceRequest?patient=" + patient + "&status=completed")).isEmpty();
		assertThat(ids("/ServiceRequest?identifier=" + PLACER_SYSTEM + "|" + placer)).containsExactly(order);
	}

	@Test
	void reportByOrderIncludesItsObservations() {
		Bundle b = bundle(fhir().get("/DiagnosticReport?based-on=" + order + "&_include=DiagnosticReport:result"));
		assertThat(b.getEntry()).extracting(e -> e.getResource().getIdElement().toUnqualifiedVersionless().getValue())
				.containsExactlyInAnyOrder(report, observation);
		assertThat(b.getEntry()).filteredOn(e -> e.getResource().getIdElement().getResourceType().equals("Observation"))
				.allSatisfy(e -> assertThat(e.getSearch().getMode()).isEqualTo(Bundle.SearchEntryMode.INCLUDE));
	}

	@Test
	void specimensByPatient() {
		assertThat(ids("/Specimen?patient=" + patient)).containsExactlyInAnyOrder(aspirate, core);
	}

	@Test
	void revincludeFromTheOrderBringsProcedureAndReport() {
		Bundle b = bundle(fhir().get("/ServiceRequest?_id=" + order.substring(order.indexOf('/') + 1)
				+ "&_revinclude=Procedure:based-on&_revinclude=DiagnosticReport:based-on"));
		assertThat(b.getEntry()).extracting(e -> e.getResource().getIdElement().toUnqualifiedVersionless().getValue())
				.containsExactlyInAnyOrder(order, procedure, report);
	}

	@Test
	void chainedSearchFindsReportsByPatientIdentifier() {
		ServiceRequest sr = parse(fhir().get("/" + order), ServiceRequest.class);
		assertThat(ids("/DiagnosticReport?based-on:ServiceRequest.identifier=" + PLACER_SYSTEM + "|"
				+ sr.getIdentifierFirstRep().getValue())).containsExactly(report);
	}

	@Test
	void pagingFollowsNextLinks() {
		Bundle first = bundle(fhir().get("/Specimen?patient=" + patient + "&_count=1"));
		assertThat(first.getEntry()).hasSize(1);
		String next = first.getLink("next").getUrl();
		Bundle second = bundle(fhir().get(next.substring(next.indexOf("/fhir") + "/fhir".length())));
		assertThat(second.getEntry()).hasSize(1);
		assertThat(second.getEntryFirstRep().getResource().getIdElement().getIdPart())
				.isNotEqualTo(first.getEntryFirstRep().getResource().getIdElement().getIdPart());
	}

	private java.util.List<String> ids(String url) {
		return bundle(fhir().get(url)).getEntry().stream()
				.map(e -> ((Resource) e.getResource()).getIdElement().toUnqualifiedVersionless().getValue())
				.toList();
	}
}

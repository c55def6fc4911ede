package org.bonemarrow.server.foundation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bonemarrow.server.support.Fixtures.*;

import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.junit.jupiter.api.Test;

/**
 * An EHR polls for its report. HAPI's default would answer the second, identical search from the first
 * one's stored result (0 entries) for 60 s; here the write must show at once.
 */
@FhirServerTest
class SearchFreshnessTest extends RestTestBase {

	@Test
	void identicalPlainSearchSeesAWriteMadeBetweenTwoPolls() {
		String patient = create(patient(unique("mrn")));
		String order = create(order(unique("placer"), patient));
		String aspirate = create(aspirate(order, patient));
		String poll = "/DiagnosticReport?based-on=" + order;

		assertThat(bundle(fhir().get(poll)).getEntry()).isEmpty();
		create(report(order, patient, DiagnosticReport.DiagnosticReportStatus.PRELIMINARY, aspirate));
		assertThat(bundle(fhir().get(poll)).getEntry()).hasSize(1);
	}
}

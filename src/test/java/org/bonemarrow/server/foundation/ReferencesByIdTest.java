package org.bonemarrow.server.foundation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bonemarrow.server.support.Fixtures.*;

import ca.uhn.fhir.jpa.api.svc.IIdHelperService;
import ca.uhn.fhir.jpa.dao.index.IdHelperService;
import io.restassured.response.Response;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Set;
import javax.sql.DataSource;
import org.bonemarrow.server.config.H2IdentityLookupConfig.OneIdPerLookupIdHelperService;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Specimen;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;

/**
 * The lab's step: a transaction whose resources point at the stored order, patient and practitioner by id.
 * HAPI resolves all those ids before it writes; on H2 that is {@link OneIdPerLookupIdHelperService}, one
 * indexed lookup per id, and these tests hold it to HAPI's rules: every reference lands on its target, and a
 * missing or deleted target fails the whole transaction with an OperationOutcome naming it.
 */
@FhirServerTest
class ReferencesByIdTest extends RestTestBase {

	@Autowired
	private IIdHelperService<?> idHelperService;

	@Autowired
	private DataSource dataSource;

	@Value("${spring.datasource.url}")
	private String datasourceUrl;

	@Test
	void onH2TheServerResolvesIdsOneIndexedLookupAtATime_elsewhereHapisOwnService() {
		if (datasourceUrl.startsWith("jdbc:h2:")) {
			assertThat(idHelperService).isInstanceOf(OneIdPerLookupIdHelperService.class);
		} else {
			assertThat(idHelperService.getClass()).isEqualTo(IdHelperService.class);
		}
	}

	@Test
	void labTransactionReferencingSeveralStoredResourcesByIdLinksEachToItsTarget() {
		Stored exam = storedOrder();
		Bundle lab = labTransaction(exam);

		Response r = fhirAs("lab").body(json(lab)).post("/");
		r.then().statusCode(200);

		String reportId = idFromLocation("/fhir/" + bundle(r).getEntry().get(2).getResponse().getLocation());
		DiagnosticReport report = parse(fhir().get("/" + reportId), DiagnosticReport.class);
		assertThat(report.getBasedOnFirstRep().getReference()).isEqualTo(exam.order);
		assertThat(report.getSubject().getReference()).isEqualTo(exam.patient);
		assertThat(report.getPerformerFirstRep().getReference()).isEqualTo(exam.practitioner);
		assertThat(report.getSpecimen()).hasSize(2);
		Specimen aspirate = parse(fhir().get("/" + report.getSpecimen().get(0).getReference()), Specimen.class);
		assertThat(aspirate.getRequestFirstRep().getReference()).isEqualTo(exam.order);
		assertThat(aspirate.getSubject().getReference()).isEqualTo(exam.patient);
		assertThat(total("/Specimen?request=" + exam.order)).isEqualTo(2);
	}

	@Test
	void oneReferenceToAMissingResourceAmongStoredOnesStoresNothing() {
		Stored exam = storedOrder();
		Bundle lab = labTransaction(exam);
		String missing = "Practitioner/" + unique("no-such-practitioner");
		((DiagnosticReport) lab.getEntry().get(2).getResource()).getPerformerFirstRep().setReference(missing);

		Response r = fhirAs("lab").body(json(lab)).post("/");

		assertThat(r.statusCode()).isIn(400, 404, 422);
		OperationOutcome oo = outcome(r);
		assertThat(oo.getIssueFirstRep().getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
		assertThat(oo.getIssueFirstRep().getDiagnostics()).contains(missing);
		assertThat(total("/Specimen?request=" + exam.order)).isZero();
		assertThat(total("/DiagnosticReport?based-on=" + exam.order)).isZero();
	}

	@Test
	void oneReferenceToADeletedResourceAmongStoredOnesStoresNothing() {
		Stored exam = storedOrder();
		String retired = create(new Practitioner().addName(new org.hl7.fhir.r4.model.HumanName().setFamily("Retired")));
		fhir().delete("/" + retired).then().statusCode(200);
		Bundle lab = labTransaction(exam);
		((DiagnosticReport) lab.getEntry().get(2).getResource()).getPerformerFirstRep().setReference(retired);

		Response r = fhirAs("lab").body(json(lab)).post("/");

		assertThat(r.statusCode()).isIn(400, 404, 410, 422);
		OperationOutcome oo = outcome(r);
		assertThat(oo.getIssueFirstRep().getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
		assertThat(oo.getIssueFirstRep().getDiagnostics()).contains(retired);
		assertThat(total("/Specimen?request=" + exam.order)).isZero();
	}

	/**
	 * Hibernate's schema update runs at every start and is told to add missing unique constraints only;
	 * these two are what stop duplicate ids and lost concurrent updates, so they must exist.
	 */
	@Test
	void hapisUniqueConstraintsExist() throws SQLException {
		Set<String> unique = new HashSet<>();
		try (Connection c = dataSource.getConnection();
				ResultSet rs = c.createStatement().executeQuery(
						"SELECT constraint_name FROM information_schema.table_constraints "
								+ "WHERE constraint_type = 'UNIQUE' AND upper(table_name) IN ('HFJ_RESOURCE', 'HFJ_RES_VER')")) {
			while (rs.next()) {
				unique.add(rs.getString(1).toUpperCase());
			}
		}
		assertThat(unique).contains("IDX_RES_TYPE_FHIR_ID", "IDX_RESVER_ID_VER");
	}

	private record Stored(String patient, String order, String practitioner) {}

	/** What the EHR sent first: patient, order and the performing practitioner, stored with server ids. */
	private Stored storedOrder() {
		String patient = create(patient(unique("mrn")));
		String order = create(order(unique("placer"), patient));
		String practitioner = create(new Practitioner().addName(new org.hl7.fhir.r4.model.HumanName().setFamily("Pathologist")));
		return new Stored(patient, order, practitioner);
	}

	/** Specimens and report, new (urn:uuid) among themselves, pointing at the stored ones by id. */
	private static Bundle labTransaction(Stored exam) {
		String aspirate = urn(), core = urn(), report = urn();
		Bundle b = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		add(b, aspirate, aspirate(exam.order, exam.patient), null);
		add(b, core, core(exam.order, exam.patient), null);
		DiagnosticReport r = report(exam.order, exam.patient, DiagnosticReport.DiagnosticReportStatus.PRELIMINARY,
				aspirate, core);
		r.addPerformer(new Reference(exam.practitioner));
		add(b, report, r, null);
		return b;
	}
}

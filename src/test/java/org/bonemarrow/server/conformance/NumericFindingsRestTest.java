package org.bonemarrow.server.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bonemarrow.server.support.Fixtures.*;

import io.restassured.response.Response;
import java.util.List;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Blast percentage as a number (local code blast-percentage, valueQuantity in UCUM %), as an integrator
 * records and searches it: {@code Observation?code=...|blast-percentage&value-quantity=ge20} finds marrows at
 * or above the WHO acute leukaemia threshold (20 %). A blast count in another unit or outside 0-100 is refused
 * whole (422, the invariant named) and nothing is stored. The Observations claim no profile: the server picks
 * bme-blast-percentage from the code.
 */
@FhirServerTest
class NumericFindingsRestTest extends RestTestBase {

	private static final String BLASTS = BME_OBSERVATION + "|blast-percentage";

	private String patient, order, aspirate;

	@BeforeEach
	void storeOrderAndAspirate() {
		patient = create(patient(unique("mrn")));
		order = create(order(unique("placer"), patient));
		aspirate = create(aspirate(order, patient));
	}

	@Test
	void valueQuantitySearchFindsTheAmlRangeMarrowOnly() {
		String high = create(blastPercentage(order, patient, aspirate, 25));
		String low = create(blastPercentage(order, patient, aspirate, 12));

		assertThat(ids(fhir().queryParam("code", BLASTS).queryParam("value-quantity", "ge20")
				.queryParam("subject", patient).get("/Observation"))).containsExactly(high);
		// with the unit, as UCUM-aware clients send it
		assertThat(ids(fhir().queryParam("code", BLASTS).queryParam("value-quantity", "ge20|" + UCUM + "|%")
				.queryParam("subject", patient).get("/Observation"))).containsExactly(high);
		assertThat(ids(fhir().queryParam("code", BLASTS).queryParam("value-quantity", "lt20")
				.queryParam("subject", patient).get("/Observation"))).containsExactly(low);

		Observation stored = parse(fhir().get("/" + high), Observation.class);
		assertThat(stored.getValueQuantity().getValue()).isEqualByComparingTo("25");
		assertThat(stored.getValueQuantity().getCode()).isEqualTo("%");
		assertThat(stored.getValueQuantity().getSystem()).isEqualTo(UCUM);
	}

	@Test
	void blastsInAnotherUnitAre422NamingTheRuleAndNothingIsStored() {
		Observation mgPerDl = blastPercentage(order, patient, aspirate, 25);
		mgPerDl.setValue(new Quantity().setValue(25).setUnit("mg/dL").setSystem(UCUM).setCode("mg/dL"));

		Response r = fhir().body(json(mgPerDl)).post("/Observation");

		r.then().statusCode(422);
		assertThat(outcome(r).getIssue()).anySatisfy(issue -> {
			assertThat(issue.getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
			assertThat(issue.getDiagnostics()).contains("bme-blast-1", "UCUM percent", "bme-blast-percentage");
			assertThat(issue.getExpression()).extracting(StringType::getValue).contains("Observation");
		});
		assertThat(total("/Observation?subject=" + patient)).isZero();
	}

	@Test
	void blastsAbove100PercentAre422AndNothingIsStored() {
		Response r = fhir().body(json(blastPercentage(order, patient, aspirate, 140))).post("/Observation");

		r.then().statusCode(422);
		assertThat(outcome(r).getIssue()).extracting(OperationOutcome.OperationOutcomeIssueComponent::getDiagnostics)
				.anySatisfy(d -> assertThat(d).contains("bme-blast-2", "from 0 to 100"));
		assertThat(total("/Observation?subject=" + patient)).isZero();
	}

	@Test
	void theNarrativeFormIsStillAcceptedAndIsNotAValueQuantityMatch() {
		Observation narrative = blastPercentage(order, patient, aspirate, 0);
		narrative.setCode(concept(LOINC, "74233-8", "Blasts assessment in Bone marrow Narrative"));
		narrative.setValue(new StringType("Blasts 32% of nucleated cells on a 500-cell aspirate differential."));
		String id = create(narrative);

		assertThat(ids(fhir().queryParam("code", LOINC + "|74233-8").queryParam("subject", patient).get("/Observation")))
				.containsExactly(id);
		assertThat(ids(fhir().queryParam("value-quantity", "ge0").queryParam("subject", patient).get("/Observation")))
				.isEmpty();
	}

	private static List<String> ids(Response r) {
		r.then().statusCode(200);
		return bundle(r).getEntry().stream()
				.map(e -> ((Resource) e.getResource()).getIdElement().toUnqualifiedVersionless().getValue())
				.toList();
	}
}

package org.bonemarrow.server.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Specimen;
import org.junit.jupiter.api.Test;

/**
 * A specimen that says which procedure collected it the way R5 does (Specimen.collection.procedure), carried
 * in R4 as the official cross-version extension: stored as sent. A cross-version URL naming an element R5
 * does not have is refused, naming the extension, and nothing is stored.
 */
@FhirServerTest
class CrossVersionExtensionRestTest extends RestTestBase {

	private static final String R5 = "http://hl7.org/fhir/5.0/StructureDefinition/extension-";

	@Test
	void aSpecimenNamingTheProcedureThatCollectedIt_isStoredWithTheExtension() {
		String patient = create(Fixtures.patient(Fixtures.unique("MRN")));
		String order = create(Fixtures.order(Fixtures.unique("PO"), patient));
		// The adapter made the exam's Procedure from the order.
		Procedure procedure = (Procedure) bundle(fhir().get("/Procedure?based-on=" + order)).getEntryFirstRep().getResource();
		String procedureRef = "Procedure/" + procedure.getIdElement().getIdPart();

		Specimen specimen = Fixtures.aspirate(order, patient);
		specimen.addIdentifier().setSystem("urn:bme:test:specimen").setValue(Fixtures.unique("SP"));
		specimen.getCollection().addExtension(R5 + "Specimen.collection.procedure", new Reference(procedureRef));
		Response created = fhirAs("lab").body(json(specimen)).post("/Specimen");
		assertThat(created.statusCode()).as(created.asString()).isEqualTo(201);

		Specimen stored = parse(fhir().get("/" + idFromLocation(created.header("Location"))), Specimen.class);
		assertThat(((Reference) stored.getCollection().getExtensionByUrl(R5 + "Specimen.collection.procedure").getValue())
				.getReference()).isEqualTo(procedureRef);
	}

	@Test
	void anR5ElementThatDoesNotExist_isRefusedAndNothingStored() {
		String patient = create(Fixtures.patient(Fixtures.unique("MRN")));
		String order = create(Fixtures.order(Fixtures.unique("PO"), patient));
		String identifier = Fixtures.unique("SP");
		Specimen specimen = Fixtures.aspirate(order, patient);
		specimen.addIdentifier().setSystem("urn:bme:test:specimen").setValue(identifier);
		specimen.getCollection().addExtension(R5 + "Specimen.collection.surgeon", new Reference(order));
		Response refused = fhirAs("lab").body(json(specimen)).post("/Specimen");
		assertThat(refused.statusCode()).isEqualTo(422);
		assertThat(parse(refused, OperationOutcome.class).getIssue())
				.anySatisfy(i -> assertThat(i.getDiagnostics()).contains("Specimen.collection.surgeon"));
		assertThat(bundle(fhir().get("/Specimen?identifier=urn:bme:test:specimen|" + identifier)).getEntry()).isEmpty();
	}
}

package org.bonemarrow.server.profiles;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Specimen;
import org.hl7.fhir.r4.model.StringType;
import org.junit.jupiter.api.Test;

/**
 * R5 elements carried by R4 resources as cross-version extensions: accepted where the element exists in R5 and
 * the value fits its type, refused otherwise (what the official HL7 validator does with the same package).
 */
class CrossVersionExtensionTest {

  private static final String R5 = "http://hl7.org/fhir/5.0/StructureDefinition/extension-";

  @Test
  void theProcedureThatCollectedASpecimen_asR5Says_isAccepted() throws IOException {
    Specimen specimen = sampleSpecimen();
    specimen.getCollection().addExtension(R5 + "Specimen.collection.procedure", new Reference("Procedure/1"));
    assertThat(errors(specimen)).isEmpty();
  }

  @Test
  void anElementR5DoesNotHave_isRefused() throws IOException {
    Specimen specimen = sampleSpecimen();
    specimen.getCollection().addExtension(R5 + "Specimen.collection.surgeon", new Reference("Practitioner/1"));
    assertThat(errors(specimen)).singleElement()
        .satisfies(m -> assertThat(m.getMessage()).contains("Specimen.collection.surgeon"));
  }

  @Test
  void aValueOfTheWrongType_isRefused() throws IOException {
    Specimen specimen = sampleSpecimen();
    specimen.getCollection().addExtension(new Extension(R5 + "Specimen.collection.procedure", new StringType("aspiration")));
    assertThat(errors(specimen)).isNotEmpty();
  }

  private static List<SingleValidationMessage> errors(Specimen specimen) {
    return SharedValidator.validator().validateWithResult(specimen).getMessages().stream()
        .filter(m -> m.getSeverity().ordinal() >= ResultSeverityEnum.ERROR.ordinal())
        .toList();
  }

  /** The aspirate of the suspected-leukaemia sample: valid against bme-marrow-specimen as it is. */
  private static Specimen sampleSpecimen() throws IOException {
    Bundle bundle = SharedValidator.CTX.newJsonParser().parseResource(Bundle.class,
        Files.readString(Path.of("sample-bundles/exam-suspected-leukaemia.json")));
    Specimen specimen = bundle.getEntry().stream().map(Bundle.BundleEntryComponent::getResource)
        .filter(Specimen.class::isInstance).map(Specimen.class::cast).findFirst().orElseThrow();
    // Validated alone: references inside the bundle are not resolved here.
    specimen.setId("s1");
    return specimen;
  }
}

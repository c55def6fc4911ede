package org.bonemarrow.server.profiles;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Specimen;
import org.junit.jupiter.api.Test;

/**
 * A required binding on a CodeableConcept is met by one coding from the value set (FHIR R4 terminologies,
 * binding strength), so a sender's own coding may stand beside ours: an HL7 v2 table code or a local code
 * next to the SNOMED CT specimen type a code map translated it to. A concept with no coding from the value
 * set is still refused.
 */
class CodeableConceptBindingTest {

  private static final String SCT = "http://snomed.info/sct";
  private static final String V2_0487 = "http://terminology.hl7.org/CodeSystem/v2-0487";

  private static List<SingleValidationMessage> errors(String... systemsAndCodes) throws Exception {
    Bundle b = SharedValidator.CTX.newJsonParser().parseResource(Bundle.class,
        Files.readString(Path.of("sample-bundles/exam-suspected-leukaemia.json")));
    Specimen s = b.getEntry().stream().map(Bundle.BundleEntryComponent::getResource)
        .filter(Specimen.class::isInstance).map(Specimen.class::cast)
        .filter(x -> x.getType().getCoding().stream().anyMatch(c -> "396997002".equals(c.getCode())))
        .findFirst().orElseThrow();
    CodeableConcept type = new CodeableConcept();
    for (int i = 0; i < systemsAndCodes.length; i += 2) {
      type.addCoding().setSystem(systemsAndCodes[i]).setCode(systemsAndCodes[i + 1]);
    }
    s.setType(type);
    return SharedValidator.validator().validateWithResult(s).getMessages().stream()
        .filter(m -> m.getSeverity().ordinal() >= ResultSeverityEnum.ERROR.ordinal()).toList();
  }

  @Test
  void oneCodingFromTheValueSetIsEnough() throws Exception {
    assertThat(errors(V2_0487, "ASP", SCT, "396997002")).isEmpty();
    assertThat(errors("https://bonemarrow-exam.example/fhir/v2-local/ACME-LIS/99ACME", "BMASP", SCT, "396997002")).isEmpty();
  }

  @Test
  void noCodingFromTheValueSetIsRefused() throws Exception {
    assertThat(errors(V2_0487, "ASP", V2_0487, "BX"))
        .anySatisfy(m -> assertThat(m.getMessage()).contains("None of the codings provided are in the value set"));
  }
}

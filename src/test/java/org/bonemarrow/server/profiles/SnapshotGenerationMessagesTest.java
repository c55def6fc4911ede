package org.bonemarrow.server.profiles;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.hapi.converters.canonical.VersionCanonicalizer;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.common.hapi.validation.validator.ProfileKnowledgeWorkerR5;
import org.hl7.fhir.common.hapi.validation.validator.WorkerContextValidationSupportAdapter;
import org.hl7.fhir.r5.conformance.profile.ProfileUtilities;
import org.hl7.fhir.r5.model.StructureDefinition;
import org.hl7.fhir.utilities.validation.ValidationMessage;
import org.hl7.fhir.utilities.validation.ValidationMessage.IssueSeverity;
import org.junit.jupiter.api.Test;

/**
 * Every StructureDefinition of the package gets its snapshot from the same R5 snapshot generator the
 * official HL7 validator uses (org.hl7.fhir.r5 ProfileUtilities, here over HAPI's offline chain), with no
 * ERROR or FATAL message. HAPI's own SnapshotGeneratingValidationSupport drops these messages, so a profile
 * the official validator refuses (e.g. a derivedFrom target R4 does not allow) would otherwise pass
 * PackageContentTest unnoticed.
 */
class SnapshotGenerationMessagesTest {

  @Test
  void everyProfileSnapshotIsGeneratedWithoutErrorMessages() {
    WorkerContextValidationSupportAdapter worker = new WorkerContextValidationSupportAdapter(SharedValidator.chain());
    VersionCanonicalizer canonicalizer = new VersionCanonicalizer(SharedValidator.CTX);
    List<String> problems = new ArrayList<>();
    int generated = 0;
    for (org.hl7.fhir.r4.model.StructureDefinition r4 : SharedValidator.PKG.getStructureDefinitions()) {
      StructureDefinition sd = canonicalizer.structureDefinitionToCanonical(r4.copy());
      StructureDefinition base = worker.fetchResource(StructureDefinition.class, sd.getBaseDefinition());
      assertThat(base).as("base of " + sd.getUrl()).isNotNull();
      List<ValidationMessage> messages = new ArrayList<>();
      ProfileUtilities generator =
          new ProfileUtilities(worker, messages, new ProfileKnowledgeWorkerR5(SharedValidator.CTX));
      try {
        generator.generateSnapshot(base, sd, sd.getUrl(), BoneMarrowPackage.CANONICAL_BASE, sd.getName());
      } catch (RuntimeException e) {
        problems.add(sd.getId() + ": snapshot generation threw " + e);
        continue;
      }
      for (ValidationMessage m : messages) {
        if (m.getLevel() == IssueSeverity.ERROR || m.getLevel() == IssueSeverity.FATAL) {
          problems.add(sd.getId() + ": " + m.getLevel() + " at " + m.getLocation() + ": " + m.getMessage());
        }
      }
      assertThat(sd.getSnapshot().getElement()).as(sd.getUrl()).isNotEmpty();
      generated++;
    }
    assertThat(problems).as("snapshot generation messages of error level").isEmpty();
    assertThat(generated).isEqualTo(SharedValidator.PKG.getStructureDefinitions().size()).isGreaterThanOrEqualTo(13);
  }
}

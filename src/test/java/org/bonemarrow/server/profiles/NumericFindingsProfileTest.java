package org.bonemarrow.server.profiles;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.ValidationOptions;
import java.util.List;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Type;
import org.junit.jupiter.api.Test;

/**
 * The numeric forms of the blast and cellularity findings (local codes with a valueQuantity in UCUM %)
 * next to the narrative LOINC forms, each Observation validated on its own against the profile the
 * classifier picks from its code, as the server does. Each refusal names its invariant.
 */
class NumericFindingsProfileTest {

  private static final String SD = BoneMarrowPackage.CANONICAL_BASE + "/StructureDefinition/";
  private static final String LOCAL = BoneMarrowPackage.CANONICAL_BASE + "/CodeSystem/bme-observation";
  private static final String LOINC = "http://loinc.org";
  private static final String UCUM = "http://unitsofmeasure.org";
  private static final ExamResourceClassifier CLASSIFIER = new ExamResourceClassifier(SharedValidator.PKG);

  private static Observation finding(String system, String code, Type value) {
    Observation o = new Observation();
    o.setStatus(Observation.ObservationStatus.FINAL);
    o.addCategory(new CodeableConcept(
        new Coding("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", "Laboratory")));
    o.setCode(new CodeableConcept(new Coding(system, code, null)));
    o.setSubject(new Reference("Patient/p1"));
    o.setEffective(new DateTimeType("2026-11-21T09:30:00Z"));
    o.setSpecimen(new Reference("Specimen/s1"));
    o.setValue(value);
    return o;
  }

  private static Quantity percent(double value) {
    return new Quantity().setValue(value).setUnit("%").setSystem(UCUM).setCode("%");
  }

  private static Observation blasts(Type value) {
    return finding(LOCAL, "blast-percentage", value);
  }

  /** ERROR/FATAL messages against the classified profile; asserts that profile first. */
  private static List<String> errors(Observation o, String expectedProfile) {
    String profile = CLASSIFIER.classify(o).orElseThrow();
    assertThat(profile).isEqualTo(SD + expectedProfile);
    return SharedValidator.validator()
        .validateWithResult(o, new ValidationOptions().addProfile(profile))
        .getMessages().stream()
        .filter(m -> m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL)
        .map(m -> m.getLocationString() + ": " + m.getMessage())
        .toList();
  }

  @Test
  void numericAndNarrativeFormsAreBothAccepted() {
    assertThat(errors(blasts(percent(25)), "bme-blast-percentage")).isEmpty();
    assertThat(errors(blasts(percent(0)), "bme-blast-percentage")).isEmpty();
    assertThat(errors(blasts(percent(100)), "bme-blast-percentage")).isEmpty();
    assertThat(errors(finding(LOINC, "74233-8", new StringType("Blasts 3% of nucleated cells")), "bme-blast-percentage"))
        .isEmpty();
    assertThat(errors(finding(LOCAL, "cellularity-percentage", percent(45)), "bme-cellularity")).isEmpty();
    assertThat(errors(finding(LOINC, "74232-0", new StringType("Normocellular, about 45%")), "bme-cellularity"))
        .isEmpty();
  }

  @Test
  void numericBlastsInAnotherUnitAreRefusedByBmeBlast1() {
    Quantity mgPerDl = new Quantity().setValue(25).setUnit("mg/dL").setSystem(UCUM).setCode("mg/dL");
    assertThat(errors(blasts(mgPerDl), "bme-blast-percentage"))
        .singleElement().asString().contains("Constraint failed: bme-blast-1", "UCUM percent");
    Quantity unitTextOnly = new Quantity().setValue(25).setUnit("%");
    assertThat(errors(blasts(unitTextOnly), "bme-blast-percentage"))
        .singleElement().asString().contains("bme-blast-1");
  }

  @Test
  void numericBlastsOutside0To100OrWithoutANumberAreRefusedByBmeBlast2() {
    assertThat(errors(blasts(percent(140)), "bme-blast-percentage"))
        .singleElement().asString().contains("Constraint failed: bme-blast-2", "from 0 to 100");
    assertThat(errors(blasts(percent(-1)), "bme-blast-percentage"))
        .singleElement().asString().contains("bme-blast-2");
    Quantity noNumber = new Quantity().setUnit("%").setSystem(UCUM).setCode("%");
    assertThat(errors(blasts(noNumber), "bme-blast-percentage"))
        .singleElement().asString().contains("bme-blast-2");
  }

  @Test
  void codeAndValueTypeMustMatchBmeBlast3() {
    assertThat(errors(blasts(new StringType("25%")), "bme-blast-percentage"))
        .singleElement().asString().contains("Constraint failed: bme-blast-3");
    assertThat(errors(finding(LOINC, "74233-8", percent(25)), "bme-blast-percentage"))
        .singleElement().asString().contains("Constraint failed: bme-blast-3");
  }

  @Test
  void numericCellularityHasTheSameRules() {
    Quantity mgPerDl = new Quantity().setValue(45).setUnit("mg/dL").setSystem(UCUM).setCode("mg/dL");
    assertThat(errors(finding(LOCAL, "cellularity-percentage", mgPerDl), "bme-cellularity"))
        .singleElement().asString().contains("Constraint failed: bme-cell-1");
    assertThat(errors(finding(LOCAL, "cellularity-percentage", percent(101)), "bme-cellularity"))
        .singleElement().asString().contains("Constraint failed: bme-cell-2");
    assertThat(errors(finding(LOINC, "74232-0", percent(45)), "bme-cellularity"))
        .singleElement().asString().contains("Constraint failed: bme-cell-3");
  }

  @Test
  void aCodeOutsideTheProfilesValueSetIsRefused() {
    Observation o = blasts(percent(25));
    o.setCode(new CodeableConcept(new Coding(LOINC, "718-7", null)));
    o.getMeta().addProfile(SD + "bme-blast-percentage");
    assertThat(errors(o, "bme-blast-percentage")).anySatisfy(e -> assertThat(e).contains("Bone marrow blast finding codes"));
  }
}

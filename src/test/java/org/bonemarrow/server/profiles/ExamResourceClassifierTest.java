package org.bonemarrow.server.profiles;

import static org.assertj.core.api.Assertions.assertThat;

import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Specimen;
import org.hl7.fhir.r4.model.ValueSet;
import org.junit.jupiter.api.Test;

class ExamResourceClassifierTest {

  private static final String SD = BoneMarrowPackage.CANONICAL_BASE + "/StructureDefinition/";
  private static final String CS = BoneMarrowPackage.CANONICAL_BASE + "/CodeSystem/";
  private static final String SCT = "http://snomed.info/sct";
  private static final String LOINC = "http://loinc.org";
  private static final ExamResourceClassifier CLASSIFIER = new ExamResourceClassifier(SharedValidator.PKG);

  private static CodeableConcept cc(String system, String code) {
    return new CodeableConcept(new Coding(system, code, null));
  }

  private static Observation obs(String system, String code) {
    Observation o = new Observation();
    o.setCode(cc(system, code));
    return o;
  }

  @Test
  void claimedProfileOfOursWinsOverTheCode() {
    Observation o = obs(LOINC, "11138-5");
    o.getMeta().addProfile(SD + "bme-cellularity");
    assertThat(CLASSIFIER.classify(o)).contains(SD + "bme-cellularity");
  }

  @Test
  void claimedProfileVersionIsDropped() {
    Observation o = new Observation();
    o.getMeta().addProfile(SD + "bme-iron-stores|0.1.0");
    assertThat(CLASSIFIER.classify(o)).contains(SD + "bme-iron-stores");
  }

  @Test
  void foreignClaimFallsBackToTheCode() {
    Observation o = obs(LOINC, "74233-8");
    o.getMeta().addProfile("http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab");
    assertThat(CLASSIFIER.classify(o)).contains(SD + "bme-blast-percentage");
  }

  @Test
  void ordersAndProceduresByExamCode() {
    ServiceRequest sr = new ServiceRequest();
    sr.setCode(cc(SCT, "49401003"));
    assertThat(CLASSIFIER.classify(sr)).contains(SD + "bme-exam-order");
    sr.setCode(cc(CS + "bme-exam", "aspiration-and-trephine"));
    assertThat(CLASSIFIER.classify(sr)).contains(SD + "bme-exam-order");

    Procedure p = new Procedure();
    p.setCode(cc(SCT, "234326005"));
    assertThat(CLASSIFIER.classify(p)).contains(SD + "bme-exam-procedure");
    p.setCode(cc(CS + "bme-anaesthesia", "procedural-sedation"));
    assertThat(CLASSIFIER.classify(p)).contains(SD + "bme-anaesthesia");
  }

  @Test
  void specimensByTypeInAnyCoding() {
    Specimen s = new Specimen();
    s.setType(cc(SCT, "396997002"));
    assertThat(CLASSIFIER.classify(s)).contains(SD + "bme-marrow-specimen");
    CodeableConcept translated = new CodeableConcept();
    translated.addCoding(new Coding("http://example.org/local-specimen", "BM-CORE", null));
    translated.addCoding(new Coding(SCT, "119359002", null));
    s.setType(translated);
    assertThat(CLASSIFIER.classify(s)).contains(SD + "bme-marrow-specimen");
    s.setType(null);
    assertThat(CLASSIFIER.classify(s)).isEmpty();
  }

  @Test
  void reportsAndFindingsByCode() {
    DiagnosticReport dr = new DiagnosticReport();
    dr.setCode(cc(LOINC, "48807-2"));
    assertThat(CLASSIFIER.classify(dr)).contains(SD + "bme-exam-report");
    dr.setCode(cc(LOINC, "33719-6"));
    assertThat(CLASSIFIER.classify(dr)).as("flow cytometry report is not ours").isEmpty();

    assertThat(CLASSIFIER.classify(obs(LOINC, "74232-0"))).contains(SD + "bme-cellularity");
    // the numeric forms (valueQuantity in %) are validated against the same profiles as the narrative ones
    assertThat(CLASSIFIER.classify(obs(CS + "bme-observation", "cellularity-percentage"))).contains(SD + "bme-cellularity");
    assertThat(CLASSIFIER.classify(obs(LOINC, "74233-8"))).contains(SD + "bme-blast-percentage");
    assertThat(CLASSIFIER.classify(obs(CS + "bme-observation", "blast-percentage"))).contains(SD + "bme-blast-percentage");
    assertThat(CLASSIFIER.classify(obs(LOINC, "11138-5"))).contains(SD + "bme-me-ratio");
    assertThat(CLASSIFIER.classify(obs(LOINC, "13513-7"))).contains(SD + "bme-iron-stores");
    assertThat(CLASSIFIER.classify(obs(CS + "bme-observation", "marrow-differential"))).contains(SD + "bme-differential-count");
    assertThat(CLASSIFIER.classify(obs(CS + "bme-observation", "marrow-interpretation"))).contains(SD + "bme-interpretation");
    assertThat(CLASSIFIER.classify(obs(LOINC, "55228-1"))).contains(SD + "bme-referenced-study");
    assertThat(CLASSIFIER.classify(obs(LOINC, "101119-6"))).contains(SD + "bme-referenced-study");
    assertThat(CLASSIFIER.classify(obs(CS + "bme-observation", "marrow-culture"))).contains(SD + "bme-referenced-study");
  }

  @Test
  void unrelatedResourcesAndCodesHaveNoProfile() {
    assertThat(CLASSIFIER.classify(null)).isEmpty();
    assertThat(CLASSIFIER.classify(new Patient())).isEmpty();
    assertThat(CLASSIFIER.classify(new Observation())).isEmpty();
    assertThat(CLASSIFIER.classify(obs(LOINC, "718-7"))).as("hemoglobin in blood").isEmpty();
    assertThat(CLASSIFIER.classify(obs("http://example.org/other", "74232-0"))).as("same code, other system").isEmpty();
    Observation claimsOther = obs(LOINC, "718-7");
    claimsOther.getMeta().addProfile("http://hl7.org/fhir/StructureDefinition/vitalsigns");
    assertThat(CLASSIFIER.classify(claimsOther)).isEmpty();
  }

  @Test
  void keyCodesComeFromThePackageValueSets() {
    ValueSet examCodes = SharedValidator.PKG.findValueSet(BoneMarrowPackage.CANONICAL_BASE + "/ValueSet/bme-exam-codes");
    assertThat(examCodes).isNotNull();
    int n = 0;
    for (ValueSet.ConceptSetComponent include : examCodes.getCompose().getInclude()) {
      for (ValueSet.ConceptReferenceComponent c : include.getConcept()) {
        assertThat(CLASSIFIER.keyCodesOf(SD + "bme-exam-order")).contains(include.getSystem() + "|" + c.getCode());
        assertThat(CLASSIFIER.keyCodesOf(SD + "bme-exam-procedure")).contains(include.getSystem() + "|" + c.getCode());
        n++;
      }
    }
    assertThat(CLASSIFIER.keyCodesOf(SD + "bme-exam-order")).hasSize(n);
    assertThat(CLASSIFIER.keyCodesOf(SD + "bme-cellularity"))
        .containsExactlyInAnyOrder(LOINC + "|74232-0", CS + "bme-observation|cellularity-percentage");
    assertThat(CLASSIFIER.keyCodesOf(SD + "bme-blast-percentage"))
        .containsExactlyInAnyOrder(LOINC + "|74233-8", CS + "bme-observation|blast-percentage");
  }
}

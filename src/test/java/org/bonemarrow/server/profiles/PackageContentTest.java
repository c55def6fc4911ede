package org.bonemarrow.server.profiles;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.context.support.ValidationSupportContext;
import ca.uhn.fhir.context.support.ValueSetExpansionOptions;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.r4.model.CodeSystem;
import org.hl7.fhir.r4.model.ElementDefinition;
import org.hl7.fhir.r4.model.MetadataResource;
import org.hl7.fhir.r4.model.SearchParameter;
import org.hl7.fhir.r4.model.StructureDefinition;
import org.hl7.fhir.r4.model.ValueSet;
import org.junit.jupiter.api.Test;

/** What the packed FHIR package holds, checked offline with HAPI's own support classes. */
class PackageContentTest {

  private static final String SCT = "http://snomed.info/sct";
  private static final String LOINC = "http://loinc.org";
  private static final String BASE = BoneMarrowPackage.CANONICAL_BASE;
  private static final BoneMarrowPackage PKG = SharedValidator.PKG;

  @Test
  void packageManifestDeclaresNameVersionCanonicalAndCore() {
    assertThat(PKG.getName()).isEqualTo("example.bonemarrow.exam");
    assertThat(PKG.getVersion()).isEqualTo("0.2.0");
    assertThat(PKG.getNpmPackage().canonical()).isEqualTo(BASE);
    assertThat(PKG.getNpmPackage().fhirVersion()).isEqualTo("4.0.1");
    assertThat(PKG.getNpmPackage().type()).isEqualTo("fhir.ig");
    assertThat(PKG.getNpmPackage().dependencies()).contains("hl7.fhir.r4.core#4.0.1");
    assertThat(PKG.getBytes()).isNotEmpty();
  }

  @Test
  void profilesByResourceTypeListEveryResourceProfile() {
    assertThat(PKG.getProfileUrlsByResourceType())
        .containsOnlyKeys("ServiceRequest", "Procedure", "Specimen", "DiagnosticReport", "Observation");
    assertThat(PKG.getProfileUrls("ServiceRequest")).containsExactly(BASE + "/StructureDefinition/bme-exam-order");
    assertThat(PKG.getProfileUrls("Observation"))
        .contains(BASE + "/StructureDefinition/bme-cellularity", BASE + "/StructureDefinition/bme-referenced-study")
        .hasSize(7);
    assertThat(PKG.getProfileUrls("Patient")).isEmpty();
  }

  @Test
  void everyCanonicalResourceIsActiveAndUnderTheCanonicalBase() {
    assertThat(PKG.getResources()).hasSizeGreaterThan(30);
    for (var r : PKG.getResources()) {
      MetadataResource m = (MetadataResource) r;
      String expectedUrl = BASE + "/" + r.fhirType() + "/" + r.getIdElement().getIdPart();
      assertThat(m.getUrl()).as(r.getId()).isEqualTo(expectedUrl);
      assertThat(m.getStatus().toCode()).as(m.getUrl()).isEqualTo("active");
      assertThat(m.getVersion()).as(m.getUrl()).isEqualTo(PKG.getVersion());
    }
  }

  /**
   * The package ships a snapshot for every profile (generated at build time by PackageSnapshots, as published
   * packages do), built by HAPI's generator from the differential committed in fhir-profiles/, which stays
   * differential-only. Regenerating from the committed source gives the same elements, so a stale build
   * output cannot ship.
   */
  @Test
  void everyStructureDefinitionShipsWithTheSnapshotHapiGeneratesFromTheCommittedDifferential() throws Exception {
    SnapshotGeneratingValidationSupport generator = new SnapshotGeneratingValidationSupport(SharedValidator.CTX);
    ValidationSupportContext context = new ValidationSupportContext(SharedValidator.chain());
    List<StructureDefinition> sds = PKG.getStructureDefinitions();
    assertThat(sds).hasSize(13);
    for (StructureDefinition shipped : sds) {
      assertThat(shipped.getFhirVersion().toCode()).isEqualTo("4.0.1");
      assertThat(shipped.getDerivation()).isEqualTo(StructureDefinition.TypeDerivationRule.CONSTRAINT);
      StructureDefinition source = SharedValidator.CTX.newJsonParser().parseResource(StructureDefinition.class,
          Files.readString(Path.of("fhir-profiles", "StructureDefinition-" + shipped.getIdElement().getIdPart() + ".json")));
      assertThat(source.hasSnapshot()).as("committed differential-only: " + source.getUrl()).isFalse();
      assertThat(shipped.getDifferential().getElement()).as(shipped.getUrl())
          .hasSameSizeAs(source.getDifferential().getElement());
      assertThat(shipped.hasSnapshot()).as("shipped with a snapshot: " + shipped.getUrl()).isTrue();

      StructureDefinition regenerated =
          (StructureDefinition) generator.generateSnapshot(context, source.copy(), source.getUrl(), null, source.getName());
      List<String> regeneratedIds = regenerated.getSnapshot().getElement().stream().map(ElementDefinition::getId).toList();
      List<String> shippedIds = shipped.getSnapshot().getElement().stream().map(ElementDefinition::getId).toList();
      assertThat(shippedIds).as(shipped.getUrl()).isEqualTo(regeneratedIds);
      assertThat(shippedIds.size()).as(shipped.getUrl()).isGreaterThan(source.getDifferential().getElement().size());
      Set<String> snapshotIds = Set.copyOf(shippedIds);
      for (ElementDefinition ed : source.getDifferential().getElement()) {
        assertThat(snapshotIds).as(shipped.getUrl()).contains(ed.getId());
      }
    }
  }

  @Test
  void resourceProfilesSayWhatTheyBorrowFromPublishedGuides() {
    for (StructureDefinition sd : PKG.getStructureDefinitions()) {
      if (sd.getKind() == StructureDefinition.StructureDefinitionKind.RESOURCE) {
        assertThat(sd.getDescription())
            .as(sd.getUrl())
            .containsAnyOf("US Core", "mCODE", "Workflow", "Cancer Pathology", "base-spec");
      }
    }
  }

  @Test
  void everyValueSetListsItsConceptsAndExpandsOfflineToThem() {
    ValidationSupportContext context = new ValidationSupportContext(SharedValidator.chain());
    List<ValueSet> valueSets = PKG.getValueSets();
    assertThat(valueSets).hasSizeGreaterThanOrEqualTo(15);
    for (ValueSet vs : valueSets) {
      Set<String> listed = new TreeSet<>();
      assertThat(vs.getCompose().getExclude()).as(vs.getUrl()).isEmpty();
      for (ValueSet.ConceptSetComponent include : vs.getCompose().getInclude()) {
        assertThat(include.hasSystem()).as(vs.getUrl()).isTrue();
        assertThat(include.getFilter()).as("no filters: " + vs.getUrl()).isEmpty();
        assertThat(include.getValueSet()).as("no imports: " + vs.getUrl()).isEmpty();
        assertThat(include.getConcept()).as("no whole-system include: " + vs.getUrl()).isNotEmpty();
        include.getConcept().forEach(c -> listed.add(include.getSystem() + "|" + c.getCode()));
      }
      IValidationSupport.ValueSetExpansionOutcome outcome =
          SharedValidator.chain().expandValueSet(context, new ValueSetExpansionOptions(), vs);
      assertThat(outcome).as(vs.getUrl()).isNotNull();
      assertThat(outcome.getError()).as(vs.getUrl()).isNull();
      ValueSet expanded = (ValueSet) outcome.getValueSet();
      Set<String> contains = expanded.getExpansion().getContains().stream()
          .map(c -> c.getSystem() + "|" + c.getCode())
          .collect(Collectors.toCollection(TreeSet::new));
      assertThat(contains).as(vs.getUrl()).isNotEmpty().isEqualTo(listed);
    }
  }

  @Test
  void localCodeSystemsAreCompleteAndBackEveryLocalCodeInTheValueSets() {
    Set<String> defined = new HashSet<>();
    for (CodeSystem cs : PKG.getCodeSystems()) {
      assertThat(cs.getUrl()).startsWith(BASE + "/CodeSystem/bme-");
      assertThat(cs.getContent()).isEqualTo(CodeSystem.CodeSystemContentMode.COMPLETE);
      assertThat(cs.getCaseSensitive()).isTrue();
      assertThat(cs.getConcept()).isNotEmpty();
      cs.getConcept().forEach(c -> {
        assertThat(c.getDisplay()).isNotBlank();
        defined.add(cs.getUrl() + "|" + c.getCode());
      });
    }
    for (ValueSet vs : PKG.getValueSets()) {
      for (ValueSet.ConceptSetComponent include : vs.getCompose().getInclude()) {
        if (include.getSystem().startsWith(BASE)) {
          include.getConcept().forEach(c ->
              assertThat(defined).as(vs.getUrl()).contains(include.getSystem() + "|" + c.getCode()));
        }
      }
    }
  }

  @Test
  void specimenRequestSearchParameterIsDefined() {
    List<SearchParameter> sps = PKG.getSearchParameters();
    assertThat(sps).hasSize(1);
    SearchParameter sp = sps.get(0);
    assertThat(sp.getUrl()).isEqualTo(BASE + "/SearchParameter/bme-specimen-request");
    assertThat(sp.getCode()).isEqualTo("request");
    assertThat(sp.getBase()).extracting(b -> b.getValue()).containsExactly("Specimen");
    assertThat(sp.getType().toCode()).isEqualTo("reference");
    assertThat(sp.getExpression()).isEqualTo("Specimen.request");
    assertThat(sp.getTarget()).extracting(t -> t.getValue()).containsExactly("ServiceRequest");
  }

  @Test
  void everySnomedAndLoincCodeUsedIsDocumentedWithItsSource() throws IOException {
    Set<String> used = new TreeSet<>();
    for (ValueSet vs : PKG.getValueSets()) {
      for (ValueSet.ConceptSetComponent include : vs.getCompose().getInclude()) {
        if (SCT.equals(include.getSystem()) || LOINC.equals(include.getSystem())) {
          include.getConcept().forEach(c -> used.add(c.getCode()));
        }
      }
    }
    for (Path json : jsonFiles()) {
      collectCodes(new ObjectMapper().readTree(json.toFile()), used);
    }
    assertThat(used).contains("49401003", "396997002", "48807-2", "74233-8");
    List<String> rows = Files.readAllLines(Path.of("docs/codes-used.md"));
    for (String code : used) {
      String row = rows.stream().filter(l -> l.startsWith("| " + code + " |")).findFirst().orElse(null);
      assertThat(row).as("docs/codes-used.md has no row for " + code).isNotNull();
      String[] cols = row.split("\\|");
      assertThat(cols.length).as(row).isGreaterThanOrEqualTo(5);
      assertThat(cols[cols.length - 1].isBlank() ? cols[cols.length - 2] : cols[cols.length - 1])
          .as("source column for " + code).isNotBlank();
    }
  }

  @Test
  void codesToAvoidAppearNowhere() throws IOException {
    for (Path json : jsonFiles()) {
      Set<String> codes = new HashSet<>();
      collectCodes(new ObjectMapper().readTree(json.toFile()), codes);
      assertThat(codes).as(json.toString()).doesNotContain("396487001", "11150-0", "26464-8", "386761002");
    }
  }

  private static List<Path> jsonFiles() throws IOException {
    List<Path> out = new ArrayList<>();
    for (String dir : List.of("fhir-profiles", "sample-bundles")) {
      try (Stream<Path> s = Files.walk(Path.of(dir))) {
        s.filter(p -> p.toString().endsWith(".json")).forEach(out::add);
      }
    }
    assertThat(out).hasSizeGreaterThan(40);
    return out;
  }

  /** Codes of Codings (objects with system + code) from SNOMED CT and LOINC, anywhere in the tree. */
  private static void collectCodes(JsonNode node, Set<String> out) {
    if (node.isObject()) {
      JsonNode system = node.get("system");
      JsonNode code = node.get("code");
      if (system != null && code != null && code.isTextual()
          && (SCT.equals(system.asText()) || LOINC.equals(system.asText()))) {
        out.add(code.asText());
      }
      node.elements().forEachRemaining(n -> collectCodes(n, out));
    } else if (node.isArray()) {
      node.elements().forEachRemaining(n -> collectCodes(n, out));
    }
  }
}

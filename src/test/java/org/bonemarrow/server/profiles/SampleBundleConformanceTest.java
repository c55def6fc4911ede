package org.bonemarrow.server.profiles;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationOptions;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Table-driven conformance over sample-bundles/manifest.json. Each bundle entry is validated as
 * its own resource (as the server does) against the profile ExamResourceClassifier picks: valid
 * bundles have no ERROR at all; each invalid bundle has exactly one ERROR, at the manifest's
 * location, containing its messageContains.
 */
class SampleBundleConformanceTest {

  private static final Path DIR = Path.of("sample-bundles");
  private static final String BASE = BoneMarrowPackage.CANONICAL_BASE;
  private static final ExamResourceClassifier CLASSIFIER = new ExamResourceClassifier(SharedValidator.PKG);
  /** Invalid bundles are copies of valid ones: identical entries are validated once. */
  private static final Map<String, List<SingleValidationMessage>> CACHE = new ConcurrentHashMap<>();

  record Error(String resourceType, String location, String message) {}

  @TestFactory
  Stream<DynamicTest> manifestEntries() throws IOException {
    JsonNode manifest = new ObjectMapper().readTree(DIR.resolve("manifest.json").toFile());
    assertThat(manifest.size()).isBetween(11, 16);
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode entry : manifest) {
      String file = entry.get("file").asText();
      String expect = entry.get("expect").asText();
      tests.add(DynamicTest.dynamicTest(expect + ": " + file, () -> {
        Bundle bundle = parse(file);
        List<Error> errors = errors(bundle);
        if ("valid".equals(expect)) {
          assertThat(entry.get("scenario").asText()).isNotBlank();
          assertThat(errors).as(file).isEmpty();
        } else {
          assertThat(expect).isEqualTo("invalid");
          assertThat(errors).as(file).hasSize(1);
          Error e = errors.get(0);
          assertThat(e.resourceType()).isEqualTo(entry.get("resourceType").asText());
          assertThat(e.location()).isEqualTo(entry.get("location").asText());
          assertThat(e.message()).contains(entry.get("messageContains").asText());
        }
      }));
    }
    return tests.stream();
  }

  @Test
  void manifestListsEveryBundleFileAndNothingElse() throws IOException {
    Set<String> inManifest = new TreeSet<>();
    new ObjectMapper().readTree(DIR.resolve("manifest.json").toFile()).forEach(n -> inManifest.add(n.get("file").asText()));
    Set<String> onDisk = new TreeSet<>();
    try (Stream<Path> s = Files.walk(DIR)) {
      // A folder with its own manifest (partners/) is another table, checked by its own test.
      s.filter(p -> p.toString().endsWith(".json") && !p.getFileName().toString().equals("manifest.json"))
          .filter(p -> !DIR.relativize(p).toString().replace('\\', '/').startsWith("partners/"))
          .forEach(p -> onDisk.add(DIR.relativize(p).toString().replace('\\', '/')));
    }
    assertThat(inManifest).isEqualTo(onDisk);
    assertThat(onDisk.stream().filter(f -> f.startsWith("invalid/")).count()).isBetween(5L, 10L);
  }

  @Test
  void validBundlesAreConditionalTransactionsThatClaimOurProfiles() throws IOException {
    Set<String> placerOrders = new HashSet<>();
    Set<String> mrns = new HashSet<>();
    int sternum = 0, sedation = 0, complication = 0;
    for (String file : validFiles()) {
      Bundle bundle = parse(file);
      assertThat(bundle.getType()).isEqualTo(Bundle.BundleType.TRANSACTION);
      int specimens = 0, observations = 0, reports = 0;
      for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
        Resource r = e.getResource();
        assertThat(e.getFullUrl()).as(file).startsWith("urn:uuid:");
        assertThat(e.getRequest().getMethod()).isEqualTo(Bundle.HTTPVerb.POST);
        assertThat(e.getRequest().getUrl()).isEqualTo(r.fhirType());
        if (r instanceof Patient p) {
          Identifier id = p.getIdentifierFirstRep();
          assertThat(id.getSystem()).isEqualTo(BASE + "/sid/mrn");
          assertThat(e.getRequest().getIfNoneExist()).isEqualTo("identifier=" + id.getSystem() + "|" + id.getValue());
          assertThat(mrns.add(id.getValue())).as("unique MRN " + id.getValue()).isTrue();
        }
        if (r instanceof ServiceRequest sr) {
          Identifier id = sr.getIdentifierFirstRep();
          assertThat(id.getSystem()).isEqualTo(BASE + "/sid/placer-order");
          assertThat(e.getRequest().getIfNoneExist()).isEqualTo("identifier=" + id.getSystem() + "|" + id.getValue());
          assertThat(placerOrders.add(id.getValue())).as("unique placer order " + id.getValue()).isTrue();
        }
        String json = SharedValidator.CTX.newJsonParser().encodeResourceToString(r);
        if (json.contains("\"56873002\"")) {
          sternum++;
        }
        if (json.contains("\"procedural-sedation\"") && r.fhirType().equals("Procedure")) {
          sedation++;
        }
        if (json.contains("\"complication\"")) {
          complication++;
        }
        if (PKG_TYPES.contains(r.fhirType())) {
          List<String> claimed = r.getMeta().getProfile().stream().map(c -> c.getValue()).toList();
          assertThat(claimed).as(file + " " + r.fhirType()).hasSize(1);
          assertThat(SharedValidator.PKG.isOwnProfile(claimed.get(0))).isTrue();
          // the classifier finds the same profile from the code alone
          Resource bare = r.copy();
          bare.getMeta().getProfile().clear();
          assertThat(CLASSIFIER.classify(bare)).as(file + " " + r.fhirType()).contains(claimed.get(0));
        }
        if (r.fhirType().equals("Procedure") && claimsProfile(r, "bme-exam-procedure")) {
          assertThat(((org.hl7.fhir.r4.model.Procedure) r).getFollowUp()).as("after-care in " + file).isNotEmpty();
        }
        specimens += r.fhirType().equals("Specimen") ? 1 : 0;
        observations += r.fhirType().equals("Observation") ? 1 : 0;
        reports += r.fhirType().equals("DiagnosticReport") ? 1 : 0;
      }
      assertThat(specimens).as(file).isEqualTo(2);
      assertThat(reports).as(file).isEqualTo(1);
      assertThat(observations).as(file).isBetween(3, 8);
    }
    assertThat(placerOrders).hasSize(6);
    assertThat(sternum).isGreaterThan(0);
    assertThat(sedation).isGreaterThan(0);
    assertThat(complication).isGreaterThan(0);
  }

  private static final Set<String> PKG_TYPES =
      Set.of("ServiceRequest", "Procedure", "Specimen", "DiagnosticReport", "Observation");

  private static boolean claimsProfile(Resource r, String id) {
    return r.getMeta().getProfile().stream().anyMatch(p -> p.getValue().endsWith("/" + id));
  }

  private static List<String> validFiles() throws IOException {
    List<String> out = new ArrayList<>();
    new ObjectMapper().readTree(DIR.resolve("manifest.json").toFile()).forEach(n -> {
      if (n.get("expect").asText().equals("valid")) {
        out.add(n.get("file").asText());
      }
    });
    assertThat(out).hasSize(6);
    return out;
  }

  private static Bundle parse(String file) throws IOException {
    return SharedValidator.CTX.newJsonParser().parseResource(Bundle.class, Files.readString(DIR.resolve(file)));
  }

  /** ERROR and FATAL messages of every entry, each entry validated on its own. */
  static List<Error> errors(Bundle bundle) {
    List<Error> out = new ArrayList<>();
    for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
      Resource r = e.getResource();
      String profile = CLASSIFIER.classify(r).orElse("");
      String json = SharedValidator.CTX.newJsonParser().encodeResourceToString(r);
      List<SingleValidationMessage> messages = CACHE.computeIfAbsent(profile + "\n" + json, k -> {
        ValidationOptions options = new ValidationOptions();
        if (!profile.isEmpty()) {
          options.addProfile(profile);
        }
        return SharedValidator.validator().validateWithResult(r, options).getMessages();
      });
      for (SingleValidationMessage m : messages) {
        if (m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL) {
          out.add(new Error(r.fhirType(), m.getLocationString(), m.getMessage()));
        }
      }
    }
    return out;
  }
}

package org.bonemarrow.server.profiles;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CodeSystem;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.SearchParameter;
import org.hl7.fhir.r4.model.StructureDefinition;
import org.hl7.fhir.r4.model.ValueSet;
import org.hl7.fhir.utilities.npm.NpmPackage;

/**
 * The bone marrow exam FHIR NPM package ({@code fhir-profiles/}, packed by Maven into
 * {@value #CLASSPATH_LOCATION}): its raw bytes for HAPI's package installer
 * ({@code PackageInstallationSpec.setPackageContents}), its name and version, and the profiles,
 * value sets and code systems it holds.
 */
public final class BoneMarrowPackage {

  /** Where Maven puts the packed package on the classpath. */
  public static final String CLASSPATH_LOCATION = "/fhir-package/bone-marrow-exam-package.tgz";

  /** Canonical base of every resource in the package. */
  public static final String CANONICAL_BASE = "https://bonemarrow-exam.example/fhir";

  private static volatile BoneMarrowPackage classpathInstance;

  private final byte[] bytes;
  private final NpmPackage npm;
  private final List<Resource> resources;

  private BoneMarrowPackage(byte[] bytes) {
    this.bytes = bytes;
    try {
      this.npm = NpmPackage.fromPackage(new ByteArrayInputStream(bytes));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the bone marrow exam FHIR package", e);
    }
    this.resources = Collections.unmodifiableList(parseResources(npm));
  }

  /** The package from the classpath, read once. */
  public static BoneMarrowPackage fromClasspath() {
    BoneMarrowPackage local = classpathInstance;
    if (local == null) {
      synchronized (BoneMarrowPackage.class) {
        local = classpathInstance;
        if (local == null) {
          try (InputStream in = BoneMarrowPackage.class.getResourceAsStream(CLASSPATH_LOCATION)) {
            if (in == null) {
              throw new IllegalStateException(
                  CLASSPATH_LOCATION
                      + " is not on the classpath: run 'mvn process-resources' to pack fhir-profiles/");
            }
            local = new BoneMarrowPackage(in.readAllBytes());
          } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + CLASSPATH_LOCATION, e);
          }
          classpathInstance = local;
        }
      }
    }
    return local;
  }

  /** A package from the bytes of a .tgz (tests, tools). */
  public static BoneMarrowPackage fromBytes(byte[] tgz) {
    return new BoneMarrowPackage(tgz.clone());
  }

  /** The .tgz as packed; a copy, safe to hand to HAPI's package installer. */
  public byte[] getBytes() {
    return bytes.clone();
  }

  public String getName() {
    return npm.name();
  }

  public String getVersion() {
    return npm.version();
  }

  public NpmPackage getNpmPackage() {
    return npm;
  }

  /** Every FHIR resource in the package (parsed as R4). */
  public List<Resource> getResources() {
    return resources;
  }

  public <T extends Resource> List<T> getResources(Class<T> type) {
    List<T> out = new ArrayList<>();
    for (Resource r : resources) {
      if (type.isInstance(r)) {
        out.add(type.cast(r));
      }
    }
    return out;
  }

  public List<StructureDefinition> getStructureDefinitions() {
    return getResources(StructureDefinition.class);
  }

  public List<ValueSet> getValueSets() {
    return getResources(ValueSet.class);
  }

  public List<CodeSystem> getCodeSystems() {
    return getResources(CodeSystem.class);
  }

  public List<SearchParameter> getSearchParameters() {
    return getResources(SearchParameter.class);
  }

  /** The value set with this canonical URL (version suffix ignored), or null. */
  public ValueSet findValueSet(String url) {
    String bare = stripVersion(url);
    for (ValueSet vs : getValueSets()) {
      if (bare.equals(vs.getUrl())) {
        return vs;
      }
    }
    return null;
  }

  /**
   * Resource profiles (not extensions or data types) by the resource type they constrain, for
   * example {@code "Observation" -> [.../bme-cellularity, ...]}; sorted, for CapabilityStatement
   * supportedProfile.
   */
  public Map<String, List<String>> getProfileUrlsByResourceType() {
    Map<String, List<String>> out = new TreeMap<>();
    for (StructureDefinition sd : getStructureDefinitions()) {
      if (sd.getKind() == StructureDefinition.StructureDefinitionKind.RESOURCE
          && sd.getDerivation() == StructureDefinition.TypeDerivationRule.CONSTRAINT) {
        out.computeIfAbsent(sd.getType(), k -> new ArrayList<>()).add(sd.getUrl());
      }
    }
    out.replaceAll((k, v) -> {
      Collections.sort(v);
      return Collections.unmodifiableList(v);
    });
    return Collections.unmodifiableMap(out);
  }

  /** Profile URLs for one resource type (empty if none). */
  public List<String> getProfileUrls(String resourceType) {
    return getProfileUrlsByResourceType().getOrDefault(resourceType, List.of());
  }

  /** True when the URL (optionally with |version) is a profile of this package. */
  public boolean isOwnProfile(String url) {
    if (url == null) {
      return false;
    }
    String bare = stripVersion(url);
    return getProfileUrlsByResourceType().values().stream().anyMatch(l -> l.contains(bare));
  }

  static String stripVersion(String canonical) {
    int bar = canonical.indexOf('|');
    return bar < 0 ? canonical : canonical.substring(0, bar);
  }

  private static List<Resource> parseResources(NpmPackage npm) {
    NpmPackage.NpmPackageFolder folder = npm.getFolders().get("package");
    if (folder == null) {
      throw new IllegalStateException("FHIR package has no package/ folder");
    }
    IParser parser = FhirContext.forR4Cached().newJsonParser();
    List<Resource> out = new ArrayList<>();
    for (String file : folder.listFiles()) {
      if (!file.endsWith(".json") || file.equals("package.json") || file.startsWith(".")) {
        continue;
      }
      try {
        String json = new String(folder.fetchFile(file), StandardCharsets.UTF_8);
        if (!json.contains("\"resourceType\"")) {
          continue;
        }
        IBaseResource parsed = parser.parseResource(json);
        if (parsed instanceof Resource r) {
          out.add(r);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read " + file + " from the FHIR package", e);
      }
    }
    out.sort((a, b) -> a.getIdElement().getIdPart().compareTo(b.getIdElement().getIdPart()));
    return out;
  }

  /** For diagnostics. */
  @Override
  public String toString() {
    return getName() + "#" + getVersion() + " (" + resources.size() + " resources)";
  }
}

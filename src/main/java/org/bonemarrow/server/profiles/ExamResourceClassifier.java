package org.bonemarrow.server.profiles;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.util.FhirTerser;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.ElementDefinition;
import org.hl7.fhir.r4.model.StructureDefinition;
import org.hl7.fhir.r4.model.ValueSet;

/**
 * Says which of the package's profiles an R4 resource must be validated against: the one it
 * claims in {@code meta.profile}, or, when it claims none of ours, the profile whose key code it
 * carries (ServiceRequest.code, Procedure.code, Specimen.type, DiagnosticReport.code,
 * Observation.code). The code lists are read from the profiles themselves (a fixed
 * patternCodeableConcept, or the required/extensible binding's ValueSet in the package), so there
 * is no second copy of them here. Pure: no Spring, no I/O after construction; thread-safe.
 */
public final class ExamResourceClassifier {

  /** The element that identifies what kind of resource it is, per resource type. */
  private static final Map<String, String> KEY_ELEMENT =
      Map.of(
          "ServiceRequest", "code",
          "Procedure", "code",
          "Specimen", "type",
          "DiagnosticReport", "code",
          "Observation", "code");

  private final BoneMarrowPackage pkg;
  private final FhirTerser terser = FhirContext.forR4Cached().newTerser();
  /** resourceType -> "system|code" -> profile URL. */
  private final Map<String, Map<String, String>> profileByCode = new HashMap<>();

  public ExamResourceClassifier(BoneMarrowPackage pkg) {
    this.pkg = pkg;
    for (StructureDefinition sd : pkg.getStructureDefinitions()) {
      String key = KEY_ELEMENT.get(sd.getType());
      if (key == null || sd.getKind() != StructureDefinition.StructureDefinitionKind.RESOURCE) {
        continue;
      }
      Map<String, String> byCode = profileByCode.computeIfAbsent(sd.getType(), t -> new HashMap<>());
      for (String code : keyCodes(sd, sd.getType() + "." + key)) {
        String previous = byCode.put(code, sd.getUrl());
        if (previous != null && !previous.equals(sd.getUrl())) {
          throw new IllegalStateException(
              "Code " + code + " identifies both " + previous + " and " + sd.getUrl());
        }
      }
    }
  }

  /**
   * The profile URL (without version) the resource must conform to, or empty when it is none of
   * ours (e.g. a Patient, or an Observation with an unrelated code).
   */
  public Optional<String> classify(IBaseResource resource) {
    if (resource == null) {
      return Optional.empty();
    }
    for (IPrimitiveType<String> claimed : resource.getMeta().getProfile()) {
      if (pkg.isOwnProfile(claimed.getValue())) {
        return Optional.of(BoneMarrowPackage.stripVersion(claimed.getValue()));
      }
    }
    String type = FhirContext.forR4Cached().getResourceType(resource);
    Map<String, String> byCode = profileByCode.get(type);
    if (byCode == null) {
      return Optional.empty();
    }
    for (Coding coding : terser.getValues(resource, KEY_ELEMENT.get(type) + ".coding", Coding.class)) {
      String profile = byCode.get(coding.getSystem() + "|" + coding.getCode());
      if (profile != null) {
        return Optional.of(profile);
      }
    }
    return Optional.empty();
  }

  /** The "system|code" keys that identify the given profile (for tests and diagnostics). */
  public Set<String> keyCodesOf(String profileUrl) {
    Set<String> out = new LinkedHashSet<>();
    profileByCode.values().forEach(m -> m.forEach((code, url) -> {
      if (url.equals(profileUrl)) {
        out.add(code);
      }
    }));
    return Collections.unmodifiableSet(out);
  }

  private Set<String> keyCodes(StructureDefinition sd, String path) {
    Set<String> out = new LinkedHashSet<>();
    for (ElementDefinition ed : sd.getDifferential().getElement()) {
      if (!path.equals(ed.getPath()) || ed.hasSliceName()) {
        continue;
      }
      if (ed.getPattern() instanceof CodeableConcept cc) {
        cc.getCoding().forEach(c -> out.add(c.getSystem() + "|" + c.getCode()));
      }
      if (ed.hasBinding() && ed.getBinding().hasValueSet()
          && ed.getBinding().getStrength() != null
          && switch (ed.getBinding().getStrength()) {
            case REQUIRED, EXTENSIBLE -> true;
            default -> false;
          }) {
        addValueSetCodes(ed.getBinding().getValueSet(), out, new LinkedHashSet<>());
      }
    }
    return out;
  }

  private void addValueSetCodes(String url, Set<String> out, Set<String> seen) {
    if (!seen.add(url)) {
      return;
    }
    ValueSet vs = pkg.findValueSet(url);
    if (vs == null) {
      throw new IllegalStateException("ValueSet " + url + " is not in package " + pkg);
    }
    for (ValueSet.ConceptSetComponent include : vs.getCompose().getInclude()) {
      for (ValueSet.ConceptReferenceComponent concept : include.getConcept()) {
        out.add(include.getSystem() + "|" + concept.getCode());
      }
      List<? extends IPrimitiveType<String>> nested = include.getValueSet();
      nested.forEach(n -> addValueSetCodes(n.getValue(), out, seen));
    }
  }
}

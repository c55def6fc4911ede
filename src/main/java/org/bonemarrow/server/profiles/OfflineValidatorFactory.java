package org.bonemarrow.server.profiles;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.NpmPackageValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.UnknownCodeSystemWarningValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;

/**
 * Builds an offline HAPI validator for the bone marrow exam package (unit tests, tools): R4 core
 * definitions, the package, HAPI's built-in code systems (UCUM, languages, ...), in-memory
 * terminology (our value sets list their concepts explicitly), cross-version extensions
 * ({@link CrossVersionExtensions}), and snapshot generation for the
 * package's differential-only profiles. The chain caches (ValidationSupportChain's own cache).
 * No network and no terminology server. Building it is slow (core definitions load on first
 * use): build once and reuse. Unknown code systems (LOINC, SNOMED CT) are warnings, see
 * {@link #unknownCodeSystemsAreWarnings}.
 */
public final class OfflineValidatorFactory {

  private OfflineValidatorFactory() {}

  public static ValidationSupportChain createValidationSupport(FhirContext ctx, BoneMarrowPackage pkg) {
    NpmPackageValidationSupport npmSupport = new NpmPackageValidationSupport(ctx);
    try {
      if (pkg == BoneMarrowPackage.fromClasspath()) {
        npmSupport.loadPackageFromClasspath("classpath:" + BoneMarrowPackage.CLASSPATH_LOCATION);
      } else {
        pkg.getResources().forEach(npmSupport::addResource);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot load " + pkg, e);
    }
    return createValidationSupport(ctx, npmSupport);
  }

  /** The same chain over package resources not (yet) packed, e.g. the sources in fhir-profiles/ at build time. */
  public static ValidationSupportChain createValidationSupport(FhirContext ctx, List<? extends IBaseResource> resources) {
    NpmPackageValidationSupport npmSupport = new NpmPackageValidationSupport(ctx);
    resources.forEach(npmSupport::addResource);
    return createValidationSupport(ctx, npmSupport);
  }

  private static ValidationSupportChain createValidationSupport(FhirContext ctx, NpmPackageValidationSupport npmSupport) {
    ValidationSupportChain chain = new ValidationSupportChain(
        ValidationSupportChain.CacheConfiguration.defaultValues(),
        new DefaultProfileValidationSupport(ctx),
        npmSupport,
        CrossVersionExtensions.validationSupport(ctx),
        new CommonCodeSystemsTerminologyService(ctx),
        new InMemoryTerminologyServerValidationSupport(ctx),
        new SnapshotGeneratingValidationSupport(ctx),
        unknownCodeSystemsAreWarnings(ctx));
    return oneCodingSatisfiesABinding(chain);
  }

  /**
   * FHIR R4 terminologies, binding strength: "one of the Coding values SHALL be from the specified value
   * set". HAPI's chain asks all of them to be (hapifhir/hapi-fhir#8345) unless told otherwise, which refuses
   * a CodeableConcept that carries a sender's own coding beside ours, e.g. an HL7 v2 local code and the
   * SNOMED CT code its code map translates it to. The server's JPA chain is set the same way.
   */
  public static <T extends ValidationSupportChain> T oneCodingSatisfiesABinding(T chain) {
    chain.setCodeableConceptValidationSuccessfulIfNotAllCodingsAreValid(true);
    return chain;
  }

  /**
   * LOINC and SNOMED CT are not loaded (no terminology server): a code from them is checked
   * against our explicit value sets only, and the code system itself is reported unknown as a
   * warning, not an error. The server's JPA chain needs the same support to accept the samples.
   */
  public static UnknownCodeSystemWarningValidationSupport unknownCodeSystemsAreWarnings(FhirContext ctx) {
    UnknownCodeSystemWarningValidationSupport support = new UnknownCodeSystemWarningValidationSupport(ctx);
    support.setNonExistentCodeSystemSeverity(IValidationSupport.IssueSeverity.WARNING);
    return support;
  }

  public static FhirValidator createValidator(FhirContext ctx, BoneMarrowPackage pkg) {
    return createValidator(ctx, createValidationSupport(ctx, pkg));
  }

  public static FhirValidator createValidator(FhirContext ctx, ValidationSupportChain chain) {
    FhirInstanceValidator module = new FhirInstanceValidator(chain);
    module.setErrorForUnknownProfiles(true);
    FhirValidator validator = ctx.newValidator();
    validator.registerValidatorModule(module);
    return validator;
  }
}

package org.bonemarrow.server.profiles;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.validation.FhirValidator;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;

/** One offline validator per test JVM: building it loads the R4 core definitions (seconds). */
final class SharedValidator {
  static final FhirContext CTX = FhirContext.forR4Cached();
  static final BoneMarrowPackage PKG = BoneMarrowPackage.fromClasspath();
  private static ValidationSupportChain chain;
  private static FhirValidator validator;

  private SharedValidator() {}

  static synchronized ValidationSupportChain chain() {
    if (chain == null) {
      chain = OfflineValidatorFactory.createValidationSupport(CTX, PKG);
    }
    return chain;
  }

  static synchronized FhirValidator validator() {
    if (validator == null) {
      validator = OfflineValidatorFactory.createValidator(CTX, chain());
    }
    return validator;
  }
}

package org.bonemarrow.server.profiles;

import ca.uhn.fhir.context.FhirContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.hl7.fhir.common.hapi.validation.support.NpmPackageValidationSupport;

/**
 * FHIR's cross-version extensions (https://hl7.org/fhir/versions.html#extensions): an R4 resource may carry an
 * element of another FHIR version as an extension whose URL names the version and the element, e.g.
 * {@code http://hl7.org/fhir/5.0/StructureDefinition/extension-Specimen.collection.procedure} (R5's
 * Specimen.collection.procedure, the procedure that collected the specimen). There is no StructureDefinition
 * to download for such a URL: the validator derives one from the official element lists in the npm package
 * {@code hl7.fhir.xver-extensions} ({@code other/xver-paths-5.0.json}, ...), which it asks its context for as
 * binaries. Without them it refuses every such extension ("invalid Version '5.0'"). The package (CC0, from the
 * npm registry, unchanged) is on the classpath; this support serves its files as those binaries.
 */
public final class CrossVersionExtensions {

	/** hl7.fhir.xver-extensions 0.1.0 as published on the npm registry. */
	public static final String CLASSPATH_LOCATION = "/fhir-packages/hl7.fhir.xver-extensions-0.1.0.tgz";

	private CrossVersionExtensions() {}

	/** A validation support that answers {@code fetchBinary("xver-paths-5.0.json")} and its siblings. */
	public static NpmPackageValidationSupport validationSupport(FhirContext ctx) {
		NpmPackageValidationSupport support = new NpmPackageValidationSupport(ctx);
		try {
			support.loadPackageFromClasspath("classpath:" + CLASSPATH_LOCATION);
		} catch (IOException e) {
			throw new UncheckedIOException("Cannot read " + CLASSPATH_LOCATION, e);
		}
		return support;
	}
}

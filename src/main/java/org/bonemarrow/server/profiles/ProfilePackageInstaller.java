package org.bonemarrow.server.profiles;

import ca.uhn.fhir.batch2.coordinator.JobDefinitionRegistry;
import ca.uhn.fhir.batch2.jobs.reindex.ReindexJobParameters;
import ca.uhn.fhir.batch2.model.JobDefinition;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.packages.IPackageInstallerSvc;
import ca.uhn.fhir.jpa.validation.JpaValidationSupportChain;
import ca.uhn.fhir.jpa.packages.PackageInstallOutcomeJson;
import ca.uhn.fhir.jpa.packages.PackageInstallationSpec;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.IInstanceValidatorModule;
import ca.uhn.fhir.validation.ValidationOptions;
import ca.uhn.fhir.util.VersionUtil;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.utilities.npm.NpmPackage;
import org.hl7.fhir.common.hapi.validation.support.UnknownCodeSystemWarningValidationSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.stereotype.Component;

/**
 * Installs the bone marrow exam package into the JPA server before the server takes requests, with
 * HAPI's own package installer: the profiles, ValueSets and CodeSystems become readable over REST and
 * part of the validation chain, and the SearchParameters become active on the first start, with no
 * manual {@code $reindex} (a new database holds nothing to reindex; a newer package version is
 * installed over the old one on the next start).
 */
@Component
public class ProfilePackageInstaller implements SmartInitializingSingleton {

	private static final Logger log = LoggerFactory.getLogger(ProfilePackageInstaller.class);

	private final BoneMarrowPackage pkg;
	private final IPackageInstallerSvc installer;
	private final ISearchParamRegistry searchParamRegistry;
	private final UnknownCodeSystemWarningValidationSupport unknownCodeSystems;
	private final JpaValidationSupportChain validationSupport;
	private final JobDefinitionRegistry jobDefinitions;
	private final List<JobDefinition<ReindexJobParameters>> reindexJobs;
	private final FhirValidator validator;
	private final FhirContext fhirContext;
	private final List<String> sitePackages;
	private final PackageInstallRecord installRecord;

	public ProfilePackageInstaller(
			BoneMarrowPackage pkg,
			IPackageInstallerSvc installer,
			ISearchParamRegistry searchParamRegistry,
			UnknownCodeSystemWarningValidationSupport unknownCodeSystems,
			JpaValidationSupportChain validationSupport,
			JobDefinitionRegistry jobDefinitions,
			List<JobDefinition<ReindexJobParameters>> reindexJobs,
			FhirContext fhirContext,
			IInstanceValidatorModule instanceValidator,
			ValidationProperties validationProperties,
			PackageInstallRecord installRecord) {
		this.pkg = pkg;
		this.installer = installer;
		this.searchParamRegistry = searchParamRegistry;
		this.unknownCodeSystems = unknownCodeSystems;
		this.validationSupport = validationSupport;
		this.jobDefinitions = jobDefinitions;
		this.reindexJobs = reindexJobs;
		this.fhirContext = fhirContext;
		this.validator = fhirContext.newValidator().registerValidatorModule(instanceValidator);
		this.sitePackages = validationProperties.packages();
		this.installRecord = installRecord;
	}

	@Override
	public void afterSingletonsInstantiated() {
		// SNOMED CT and LOINC are not loaded (no terminology server, by design): their codes are checked
		// against our explicit ValueSets, and the code system itself being unknown is only a warning.
		// HAPI defines this support but leaves it out of the JPA chain; it goes last, after every support
		// that can actually validate a code.
		unknownCodeSystems.setNonExistentCodeSystemSeverity(IValidationSupport.IssueSeverity.WARNING);
		validationSupport.addValidationSupport(unknownCodeSystems);
		// R5 elements sent as cross-version extensions (e.g. Specimen.collection.procedure) are validated
		// against the official element lists instead of being refused as an unknown version.
		validationSupport.addValidationSupport(CrossVersionExtensions.validationSupport(fhirContext));
		OfflineValidatorFactory.oneCodingSatisfiesABinding(validationSupport);

		// Storing a SearchParameter schedules a REINDEX job; HAPI registers its job definitions only once the
		// context is refreshed, which is after this point.
		reindexJobs.forEach(jobDefinitions::addJobDefinitionIfNotRegistered);

		List<SitePackage> site = sitePackages.stream().map(SitePackage::read).toList();
		List<byte[]> allBytes = new ArrayList<>();
		allBytes.add(pkg.getBytes());
		site.forEach(p -> allBytes.add(p.bytes()));
		String fingerprint = PackageInstallRecord.fingerprint(VersionUtil.getVersion(), allBytes);
		long start = System.currentTimeMillis();
		if (installRecord.isInstalled(fingerprint)) {
			// Byte-identical packages under the same HAPI version were installed completely before: HAPI's
			// installer would parse and compare every resource to change nothing (seconds of every restart).
			log.info("FHIR package {}#{} and {} site package(s) unchanged since their installation in this database: not reinstalled",
					pkg.getName(), pkg.getVersion(), site.size());
		} else {
			PackageInstallOutcomeJson outcome = installer.install(ownPackageSpec());
			site.forEach(this::installSitePackage);
			installRecord.recordInstalled(fingerprint);
			log.info("FHIR package {}#{} installed in {} ms: {}", pkg.getName(), pkg.getVersion(),
					System.currentTimeMillis() - start, outcome.getResourcesInstalled());
		}
		searchParamRegistry.forceRefresh();
		validationSupport.invalidateCaches();
		warmUpValidator();
	}

	private PackageInstallationSpec ownPackageSpec() {
		PackageInstallationSpec spec = new PackageInstallationSpec()
				.setName(pkg.getName())
				.setVersion(pkg.getVersion())
				.setPackageContents(pkg.getBytes())
				.setInstallMode(PackageInstallationSpec.InstallModeEnum.STORE_AND_INSTALL)
				.setFetchDependencies(false)
				// One version of each of our resources is live: a new package version updates them in place (by
				// url) instead of adding a second StructureDefinition with the same url beside the old one.
				.setVersionPolicy(PackageInstallationSpec.VersionPolicyEnum.SINGLE_VERSION);
		// ConceptMaps: the HL7 v2 gateway's standard code maps (HL7 tables 0487, 0488, 0550), stored so they are
		// served and answer $translate like a hospital's own maps.
		spec.addInstallResourceTypes("StructureDefinition", "ValueSet", "CodeSystem", "SearchParameter", "ConceptMap");
		return spec;
	}

	/** A site package file, read once: its bytes are both installed and part of the installation's fingerprint. */
	record SitePackage(Path path, byte[] bytes, NpmPackage npm) {

		/** A file that cannot be read stops the start: a site that listed a package expects its profiles to be checked. */
		static SitePackage read(String file) {
			Path path = Path.of(file);
			try {
				byte[] bytes = Files.readAllBytes(path);
				try (InputStream in = new ByteArrayInputStream(bytes)) {
					return new SitePackage(path, bytes, NpmPackage.fromPackage(in));
				}
			} catch (IOException e) {
				throw new UncheckedIOException("bonemarrow.validation.packages: cannot read FHIR package " + path.toAbsolutePath(), e);
			}
		}
	}

	/**
	 * A package a site added (bonemarrow.validation.packages), e.g. hl7.fhir.uv.ips from the npm registry: stored
	 * in HAPI's package cache only, where the validation chain (NpmJpaValidationSupport) finds its profiles, so
	 * resources claiming them are validated against them. Not installed as REST resources: a partner's hundreds
	 * of definitions are not this server's own.
	 */
	private void installSitePackage(SitePackage site) {
		installer.install(new PackageInstallationSpec()
				.setName(site.npm().name())
				.setVersion(site.npm().version())
				.setPackageContents(site.bytes())
				.setInstallMode(PackageInstallationSpec.InstallModeEnum.STORE_ONLY)
				.setFetchDependencies(false));
		log.info("FHIR package {}#{} ({}) added to the validator", site.npm().name(), site.npm().version(),
				site.path().getFileName());
	}

	/**
	 * The first validation loads the core definitions and builds snapshots (seconds); do it now rather
	 * than on the first order a hospital posts. Each profile is exercised with an empty resource of its own
	 * type; the outcome is irrelevant (an empty resource is invalid).
	 */
	private void warmUpValidator() {
		long start = System.currentTimeMillis();
		pkg.getProfileUrlsByResourceType().forEach((type, profiles) -> profiles.forEach(profile ->
				validator.validateWithResult(fhirContext.getResourceDefinition(type).newInstance(),
						new ValidationOptions().addProfile(profile))));
		log.info("Profile validator ready in {} ms", System.currentTimeMillis() - start);
	}
}

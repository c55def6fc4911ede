package org.bonemarrow.server.config;

import ca.uhn.fhir.jpa.validation.JpaValidationSupportChain;
import javax.sql.DataSource;
import org.bonemarrow.server.profiles.BoneMarrowPackage;
import org.bonemarrow.server.profiles.ClaimedProfiles;
import org.bonemarrow.server.profiles.ExamResourceClassifier;
import org.bonemarrow.server.profiles.PackageInstallRecord;
import org.bonemarrow.server.profiles.ValidationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The bone marrow exam FHIR package (built from fhir-profiles/), what is derived from it, and validation settings. */
@Configuration
@EnableConfigurationProperties(ValidationProperties.class)
public class ProfilesConfig {

	@Bean
	public BoneMarrowPackage boneMarrowPackage() {
		return BoneMarrowPackage.fromClasspath();
	}

	@Bean
	public ExamResourceClassifier examResourceClassifier(BoneMarrowPackage pkg) {
		return new ExamResourceClassifier(pkg);
	}

	@Bean
	public PackageInstallRecord packageInstallRecord(DataSource dataSource) {
		return new PackageInstallRecord(dataSource);
	}

	/** Asks HAPI's JPA validation chain, which holds core R4, our package and the packages a site added. */
	@Bean
	public ClaimedProfiles claimedProfiles(JpaValidationSupportChain validationSupport) {
		return new ClaimedProfiles(validationSupport);
	}
}

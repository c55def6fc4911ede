package org.bonemarrow.server.config;

import org.bonemarrow.server.profiles.BoneMarrowPackage;
import org.bonemarrow.server.profiles.ExamResourceClassifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The bone marrow exam FHIR package (built from fhir-profiles/) and what is derived from it. */
@Configuration
public class ProfilesConfig {

	@Bean
	public BoneMarrowPackage boneMarrowPackage() {
		return BoneMarrowPackage.fromClasspath();
	}

	@Bean
	public ExamResourceClassifier examResourceClassifier(BoneMarrowPackage pkg) {
		return new ExamResourceClassifier(pkg);
	}
}

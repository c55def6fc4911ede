package org.bonemarrow.server.profiles;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code bonemarrow.validation}: profile validation on write.
 *
 * @param enabled validate exam resources and resources claiming a profile the server holds
 * @param unknownProfiles what a claimed profile the server does not hold does to a write
 * @param packages further FHIR packages (.tgz files, e.g. from the npm registry) whose profiles the
 *     validator holds, so that resources claiming them are validated against them
 */
@ConfigurationProperties("bonemarrow.validation")
public record ValidationProperties(
		@DefaultValue("true") boolean enabled,
		@DefaultValue("warn") UnknownProfiles unknownProfiles,
		@DefaultValue List<String> packages) {

	/** What happens to a write whose meta.profile names a profile the server does not hold. */
	public enum UnknownProfiles {
		/** Stored; each such profile is a warning in the response (FHIR R4 allows profiles a server does not know). */
		WARN,
		/** 422, nothing stored: for sites that only accept what they can check. */
		REFUSE
	}
}

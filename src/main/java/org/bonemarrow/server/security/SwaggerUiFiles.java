package org.bonemarrow.server.security;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.Set;

/**
 * Which {@code /fhir/swagger-ui/<file>} HAPI's OpenAPI interceptor can serve: its own page, image and
 * styles, and the files of the Swagger UI web jar. HAPI answers any other name with 500 (HAPI-1758, with the
 * class path in the message) and an ERROR stack trace in the log, for anyone, without a token; the
 * hostile-input filter answers it 404 before HAPI runs.
 */
final class SwaggerUiFiles {

	static final String PREFIX = "/swagger-ui/";
	/**
	 * Served by HAPI from its own jar (OpenApiInterceptor), not from the web jar. Not swagger-ui-custom.css:
	 * HAPI serves it only when custom CSS is configured (it is not here), and otherwise looks for it in the
	 * web jar, where it is not, so its own page's link to it was a 500 and a stack trace on every page load.
	 */
	private static final Set<String> HAPI_OWN = Set.of("", "index.html", "raccoon.png", "index.css");
	private static final String WEBJAR_VERSION = webjarVersion();

	private SwaggerUiFiles() {}

	/**
	 * @param pathInfo the path below /fhir, as HAPI sees it ({@code /swagger-ui/index.html})
	 * @return false only for a Swagger UI path that names no file HAPI has; true for anything else
	 */
	static boolean servable(String pathInfo) {
		if (pathInfo == null || !pathInfo.startsWith(PREFIX) || WEBJAR_VERSION == null) {
			return true;
		}
		String file = pathInfo.substring(PREFIX.length());
		return HAPI_OWN.contains(file) || (!file.endsWith("/") && SwaggerUiFiles.class.getClassLoader()
				.getResource("META-INF/resources/webjars/swagger-ui/" + WEBJAR_VERSION + "/" + file) != null);
	}

	/** The same lookup HAPI makes; null (no check) without the web jar, where HAPI serves no files either. */
	private static String webjarVersion() {
		try (InputStream in = SwaggerUiFiles.class.getResourceAsStream("/META-INF/maven/org.webjars/swagger-ui/pom.properties")) {
			if (in == null) {
				return null;
			}
			Properties properties = new Properties();
			properties.load(in);
			return properties.getProperty("version");
		} catch (IOException e) {
			return null;
		}
	}
}

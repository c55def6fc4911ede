package org.bonemarrow.server.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * The one server configuration every REST test class uses, so that Spring starts a single context for
 * the whole suite. The database is shared: tests make their own unique identifiers
 * ({@link Fixtures#unique}) instead of expecting an empty server. Security is on as in production; the
 * extra {@code test-admin} client exists only here.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(
		webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = {
			"bonemarrow.data-dir=./target/test-data/${random.uuid}",
			// One more client with every scope, for tests whose subject is not access control.
			"bonemarrow.security.roles.test-admin=system/*.cruds system/AuditEvent.rs",
			"bonemarrow.security.embedded.clients=ehr,lab,department,integration,auditor,test-admin"
		})
public @interface FhirServerTest {}

package org.bonemarrow.server.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.bonemarrow.server.v2.V2TestReceiverInitializer;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.ContextConfiguration;

/**
 * The one server configuration every REST test class uses, so that Spring starts a single context for
 * the whole suite. The database is shared: tests make their own unique identifiers
 * ({@link Fixtures#unique}) instead of expecting an empty server. Security is on as in production; the
 * extra {@code test-admin} client exists only here.
 *
 * <p>HL7 v2: the MLLP listener is on, on a free port (the bound port is {@code V2MllpListener.port()}),
 * with one sender per role and the laboratory ACME-LIS, whose code map is loaded from
 * {@code docs/v2-code-maps/} (the README example); results go out to the test JVM's MLLP receiver, whose port the initializer
 * supplies, with short retry waits. The initializer also turns on MLLP over TLS (mutual TLS, on a free port,
 * {@code V2MllpListener.tlsPort()}) with certificates it makes, and a TLS receiver for appended reports.
 *
 * <p>SMART backend clients (private_key_jwt) {@code backend-rs} (lab) and {@code backend-ec} (integration),
 * with keys made at test time: {@link BackendClientKeys}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(
		webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = {
			"bonemarrow.data-dir=./target/test-data/${random.uuid}",
			// One more client with every scope, for tests whose subject is not access control.
			"bonemarrow.security.roles.test-admin=system/*.cruds system/AuditEvent.rs",
			"bonemarrow.security.embedded.clients=ehr,lab,department,integration,auditor,loader,test-admin",
			// The test receivers (TestReceiver, TestMllpReceiver) listen on loopback.
			"bonemarrow.notifications.endpoints.allow-loopback=true",
			"bonemarrow.v2.mllp.enabled=true",
			"bonemarrow.v2.mllp.port=0",
			"bonemarrow.v2.mllp.senders.BM-TEST-EHR=ehr",
			"bonemarrow.v2.mllp.senders.BM-TEST-LAB=lab",
			"bonemarrow.v2.mllp.senders.BM-TEST-INTEGRATION=integration",
			// A laboratory that sends its own local codes (sample-bundles/v2/oru-r01-local-codes.hl7), with its
			// code map loaded from the README's example directory at start-up.
			"bonemarrow.v2.mllp.senders.ACME-LIS=lab",
			"bonemarrow.v2.code-maps.directory=docs/v2-code-maps",
			"bonemarrow.v2.code-maps.senders.ACME-LIS=https://lab.acme-hospital.example/fhir/ConceptMap/acme-lis-bone-marrow",
			"bonemarrow.v2.receivers[0].id=test-lis",
			"bonemarrow.v2.receivers[0].host=127.0.0.1",
			"bonemarrow.v2.receivers[0].port=${" + V2TestReceiverInitializer.PORT_PROPERTY + "}",
			"bonemarrow.v2.receivers[0].receiving-application=TEST-LIS",
			"bonemarrow.v2.receivers[0].timeout-millis=5000",
			// Results over MLLP with mutual TLS (V2TlsTestSetup makes the stores); only appended reports, which
			// no other test makes, so its deliveries are V2MllpTlsTest's alone.
			"bonemarrow.v2.receivers[1].id=test-lis-tls",
			"bonemarrow.v2.receivers[1].host=localhost",
			"bonemarrow.v2.receivers[1].port=${bonemarrow.test.v2-tls-receiver-port}",
			"bonemarrow.v2.receivers[1].statuses=appended",
			"bonemarrow.v2.receivers[1].tls.enabled=true",
			"bonemarrow.v2.receivers[1].tls.trust-store=${bonemarrow.test.v2-tls-receiver-trust-store}",
			"bonemarrow.v2.receivers[1].tls.trust-store-password=${bonemarrow.test.pki-password}",
			"bonemarrow.v2.receivers[1].tls.key-store=${bonemarrow.test.v2-tls-client-key-store}",
			"bonemarrow.v2.receivers[1].tls.key-store-password=${bonemarrow.test.pki-password}",
			// Short retry waits, so a test sees a retry within a second or two (the window stays 72 h).
			"bonemarrow.delivery.first-retry=200ms",
			"bonemarrow.delivery.max-interval=2s",
			"bonemarrow.delivery.poll-interval=200ms",
			// A package a site adds to the validator (README "Profiles clients claim").
			"bonemarrow.validation.packages[0]=src/test/resources/packages/example.partner.profiles-0.1.0.tgz"
		})
@ContextConfiguration(initializers = {V2TestReceiverInitializer.class, BackendClientKeys.class})
public @interface FhirServerTest {}

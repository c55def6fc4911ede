package org.bonemarrow.server.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.restassured.response.Response;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.bonemarrow.server.support.BackendClientKeys;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SMART Backend Services: clients authenticating with a JWT signed by their own key (private_key_jwt),
 * over real HTTP. Assertions are made here with nimbus directly, as a client's own code would, with the
 * keys of {@link BackendClientKeys}; the token endpoint is called as SMART's token request does it, without
 * a client_id parameter.
 */
@FhirServerTest
class BackendServicesRestTest extends RestTestBase {

	private static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

	@Test
	void rs384WithAnInlineKeySet_getsTheLabRolesToken_whichReadsWhatLabMayAnd403sTheRest_andIsAudited()
			throws Exception {
		Response r = tokenRequest(rs384(c -> c), null);
		r.then().statusCode(200);
		assertThat(r.jsonPath().getString("token_type")).isEqualTo("Bearer");
		String token = r.jsonPath().getString("access_token");
		// No scope asked for: the whole role, as for a shared-secret client (EmbeddedAuthorizationServer.customizeToken).
		assertThat(SignedJWT.parse(token).getJWTClaimsSet().getStringListClaim("scope"))
				.contains("system/DiagnosticReport.crus", "system/Task.rus").doesNotContain("system/AuditEvent.rs");
		assertThat(SignedJWT.parse(token).getJWTClaimsSet().getStringClaim("client_id")).isEqualTo(BackendClientKeys.RS_CLIENT);

		Patient p = new Patient();
		p.addName().setFamily(Fixtures.unique("Backend"));
		String patient = create(p);
		anonymous().auth().oauth2(token).get("/" + patient).then().statusCode(200);
		anonymous().auth().oauth2(token).get("/AuditEvent?_count=1").then().statusCode(403);
		anonymous().auth().oauth2(token).body(json(new Patient())).post("/Patient").then().statusCode(403);

		// The token names the client like a shared-secret client's does, so the audit trail names it too.
		List<Bundle.BundleEntryComponent> events = await("read audited").atMost(Duration.ofSeconds(20))
				.pollInterval(Duration.ofMillis(100))
				.until(() -> bundle(fhir().get("/AuditEvent?entity=" + patient + "&action=R&agent-name="
						+ BackendClientKeys.RS_CLIENT)).getEntry(), entries -> !entries.isEmpty());
		AuditEvent read = (AuditEvent) events.get(0).getResource();
		assertThat(read.getAgent()).anySatisfy(agent -> assertThat(agent.getName()).isEqualTo(BackendClientKeys.RS_CLIENT));
	}

	@Test
	void es384WithAKeySetUrl_getsTheIntegrationRolesToken() throws JOSEException {
		Response r = tokenRequest(sign(BackendClientKeys.EC_CLIENT, JWSAlgorithm.ES384, "ec-1",
				new ECDSASigner(ecKey()), c -> c), null);
		r.then().statusCode(200);
		assertThat(BackendClientKeys.jwksReads()).isPositive();
		String token = r.jsonPath().getString("access_token");
		anonymous().auth().oauth2(token).get("/Patient?_count=1").then().statusCode(200);
		anonymous().auth().oauth2(token).body(json(new Patient())).post("/Patient").then().statusCode(403);
	}

	@Test
	void aScopeParameterNarrowsTheToken_withinTheRoleOnly() {
		Response narrowed = tokenRequest(rs384(c -> c), "system/Patient.rs");
		narrowed.then().statusCode(200);
		assertThat(narrowed.jsonPath().getString("scope")).isEqualTo("system/Patient.rs");
		tokenRequest(rs384(c -> c), "system/Patient.cruds").then().statusCode(400)
				.body("error", org.hamcrest.Matchers.equalTo("invalid_scope"));
	}

	@Test
	void aClientIdParameterMayBeSentToo() {
		given().baseUri("http://localhost").port(port).basePath("")
				.contentType("application/x-www-form-urlencoded")
				.formParam("grant_type", "client_credentials")
				.formParam("client_id", BackendClientKeys.RS_CLIENT)
				.formParam("client_assertion_type", JWT_BEARER)
				.formParam("client_assertion", rs384(c -> c))
				.post("/oauth2/token").then().statusCode(200);
	}

	@Test
	void anAssertionIsAcceptedOnce() {
		String assertion = rs384(c -> c);
		tokenRequest(assertion, null).then().statusCode(200);
		assertRefused(tokenRequest(assertion, null), assertion, "jti");
	}

	@Test
	void aRefusedAssertionDoesNotUseUpItsJti() {
		String jti = UUID.randomUUID().toString();
		String wrongAudience = rs384(c -> c.jwtID(jti).audience("https://elsewhere.example/token"));
		assertRefused(tokenRequest(wrongAudience, null), wrongAudience, "aud");
		tokenRequest(rs384(c -> c.jwtID(jti)), null).then().statusCode(200);
	}

	static Stream<Arguments> refusedAssertions() {
		return Stream.of(
				Arguments.of("expired", "exp", (Assertion) t -> t.rs384(c -> c.expirationTime(t.in(Duration.ofMinutes(-3))))),
				Arguments.of("exp more than 5 minutes ahead", "exp",
						(Assertion) t -> t.rs384(c -> c.expirationTime(t.in(Duration.ofMinutes(10))))),
				Arguments.of("no exp", "exp", (Assertion) t -> t.rs384(c -> c.expirationTime(null))),
				Arguments.of("no jti", "jti", (Assertion) t -> t.rs384(c -> c.jwtID(null))),
				Arguments.of("audience is the FHIR base", "aud",
						(Assertion) t -> t.rs384(c -> c.audience(t.baseUrl() + "/fhir"))),
				Arguments.of("signed by another key under a registered kid", "signature",
						(Assertion) t -> t.sign(BackendClientKeys.RS_CLIENT, JWSAlgorithm.RS384, "rs-new",
								new RSASSASigner(otherRsaKey()), c -> c)),
				Arguments.of("signed by the other registered key, named by the wrong kid", "signature",
						(Assertion) t -> t.sign(BackendClientKeys.RS_CLIENT, JWSAlgorithm.RS384, "rs-new",
								new RSASSASigner(BackendClientKeys.rsOldKey()), c -> c)),
				Arguments.of("iss is not sub", "sub", (Assertion) t -> t.rs384(c -> c.subject("someone-else"))),
				Arguments.of("unknown client", "client",
						(Assertion) t -> t.sign("no-such-client", JWSAlgorithm.RS384, "rs-new",
								new RSASSASigner(BackendClientKeys.rsKey()), c -> c)),
				Arguments.of("a shared-secret client", "client",
						(Assertion) t -> t.sign("lab", JWSAlgorithm.RS384, "rs-new",
								new RSASSASigner(BackendClientKeys.rsKey()), c -> c)),
				Arguments.of("alg none", "alg",
						(Assertion) t -> new PlainJWT(t.claims(BackendClientKeys.RS_CLIENT).build()).serialize()),
				Arguments.of("HS256 with the public key as secret", "alg",
						(Assertion) t -> t.sign(BackendClientKeys.RS_CLIENT, JWSAlgorithm.HS256, "rs-new",
								new MACSigner(BackendClientKeys.rsKey().toPublicJWK().toJSONString()
										.getBytes()), c -> c)),
				Arguments.of("a jku other than the registered URL", "jku",
						(Assertion) t -> t.signWithJku(URI.create("https://attacker.example/jwks.json"))),
				Arguments.of("not a JWT", "JWT", (Assertion) t -> "not.a-jwt"));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("refusedAssertions")
	void aBadAssertionIs401InvalidClient_sayingWhichCheckFailed_withoutEchoingIt(String name, String check,
			Assertion assertion) throws Exception {
		String jwt = assertion.make(this);
		assertRefused(tokenRequest(jwt, null), jwt, check);
	}

	@Test
	void discoveryAndMetadataAdvertisePrivateKeyJwt() {
		anonymous().get("/.well-known/smart-configuration").then().statusCode(200)
				.body("token_endpoint_auth_methods_supported",
						hasItems("client_secret_basic", "client_secret_post", "private_key_jwt"))
				.body("token_endpoint_auth_signing_alg_values_supported", hasItems("RS384", "ES384"))
				.body("capabilities", hasItems("client-confidential-symmetric", "client-confidential-asymmetric"))
				.body("capabilities", hasItem("permission-v2"));
		CapabilityStatement cs = parse(anonymous().get("/metadata"), CapabilityStatement.class);
		var security = cs.getRestFirstRep().getSecurity();
		assertThat(security.getDescription()).contains("private_key_jwt", "RS384", "ES384", "client_secret_basic");
		assertThat(security.getExtensionByUrl("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris")
				.getExtensionByUrl("token").getValue().primitiveValue()).endsWith("/oauth2/token");
	}

	// --- the client's side ---

	@FunctionalInterface
	interface Assertion {
		String make(BackendServicesRestTest test) throws Exception;
	}

	private void assertRefused(Response r, String assertion, String check) {
		r.then().statusCode(401);
		assertThat(r.jsonPath().getString("error")).isEqualTo("invalid_client");
		assertThat(r.jsonPath().getString("access_token")).isNull();
		String description = r.jsonPath().getString("error_description");
		assertThat(description).containsIgnoringCase(check);
		for (String part : assertion.split("\\.")) {
			if (part.length() > 8) {
				assertThat(r.asString()).doesNotContain(part);
			}
		}
	}

	/** SMART's token request: no client_id, the assertion says who it is. */
	private Response tokenRequest(String assertion, String scope) {
		var spec = given().baseUri("http://localhost").port(port).basePath("")
				.contentType("application/x-www-form-urlencoded")
				.formParam("grant_type", "client_credentials")
				.formParam("client_assertion_type", JWT_BEARER)
				.formParam("client_assertion", assertion);
		if (scope != null) {
			spec.formParam("scope", scope);
		}
		return spec.post("/oauth2/token");
	}

	String baseUrl() {
		return "http://localhost:" + port;
	}

	Date in(Duration fromNow) {
		return Date.from(Instant.now().plus(fromNow));
	}

	/** The claims SMART asks for: iss = sub = client id, aud = token URL, exp within 5 minutes, a fresh jti. */
	JWTClaimsSet.Builder claims(String clientId) {
		return new JWTClaimsSet.Builder().issuer(clientId).subject(clientId)
				.audience(baseUrl() + "/oauth2/token")
				.expirationTime(in(Duration.ofMinutes(4)))
				.jwtID(UUID.randomUUID().toString());
	}

	String rs384(UnaryOperator<JWTClaimsSet.Builder> claims) {
		try {
			return sign(BackendClientKeys.RS_CLIENT, JWSAlgorithm.RS384, "rs-new",
					new RSASSASigner(BackendClientKeys.rsKey()), claims);
		} catch (JOSEException e) {
			throw new IllegalStateException(e);
		}
	}

	String sign(String clientId, JWSAlgorithm alg, String kid, JWSSigner signer,
			UnaryOperator<JWTClaimsSet.Builder> claims) {
		return sign(new JWSHeader.Builder(alg).keyID(kid).type(JOSEObjectType.JWT).build(), signer,
				claims.apply(claims(clientId)).build());
	}

	String signWithJku(URI jku) throws JOSEException {
		return sign(new JWSHeader.Builder(JWSAlgorithm.RS384).keyID("rs-new").jwkURL(jku).build(),
				new RSASSASigner(BackendClientKeys.rsKey()), claims(BackendClientKeys.RS_CLIENT).build());
	}

	private static String sign(JWSHeader header, JWSSigner signer, JWTClaimsSet claims) {
		try {
			SignedJWT jwt = new SignedJWT(header, claims);
			jwt.sign(signer);
			return jwt.serialize();
		} catch (JOSEException e) {
			throw new IllegalStateException(e);
		}
	}

	private static com.nimbusds.jose.jwk.ECKey ecKey() {
		return BackendClientKeys.ecKey();
	}

	private static RSAKey otherRsaKey() throws JOSEException {
		return new RSAKeyGenerator(2048).keyID("rs-new").generate();
	}
}

package org.bonemarrow.server.bulk;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.MethodOutcome;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.client.api.ServerValidationModeEnum;
import ca.uhn.fhir.rest.client.interceptor.BearerTokenAuthInterceptor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import org.bonemarrow.server.support.BackendClientKeys;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.Binary;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.StringType;
import org.junit.jupiter.api.Test;

/**
 * The whole SMART Backend Services + Bulk Data path with client code none of it ours: the assertion is signed
 * with nimbus-jose-jwt, the token and status requests go through the JDK's HttpClient, and the FHIR calls
 * (a search, the $export kick-off, the download of the NDJSON files) through HAPI's generic client. This is
 * what an analytics team's backend does against the server, end to end.
 */
@FhirServerTest
class BackendClientBulkExportTest extends RestTestBase {

	private static final ObjectMapper JSON = new ObjectMapper();
	private static final Duration DEADLINE = Duration.ofSeconds(90);
	private final HttpClient http = HttpClient.newHttpClient();

	@Test
	void aBackendClientSignsInAndExportsWithLibrariesOfItsOwn() throws Exception {
		String mrn = Fixtures.unique("mrn");
		create(Fixtures.patient(mrn));

		String token = tokenBySignedAssertion();
		FhirContext.forR4Cached().getRestfulClientFactory().setServerValidationMode(ServerValidationModeEnum.NEVER);
		IGenericClient client = FhirContext.forR4Cached().newRestfulGenericClient("http://localhost:" + port + "/fhir");
		client.registerInterceptor(new BearerTokenAuthInterceptor(token));

		Bundle found = client.search().forResource(Patient.class)
				.where(Patient.IDENTIFIER.exactly().systemAndIdentifier(Fixtures.MRN_SYSTEM, mrn))
				.returnBundle(Bundle.class).execute();
		assertThat(found.getEntry()).hasSize(1);

		Parameters kickOff = new Parameters();
		kickOff.addParameter("_type", new StringType("Patient"));
		MethodOutcome accepted = client.operation().onServer().named("$export").withParameters(kickOff).useHttpGet()
				.withAdditionalHeader("Prefer", "respond-async").returnMethodOutcome().execute();
		assertThat(accepted.getResponseStatusCode()).isEqualTo(202);
		List<String> location = accepted.getResponseHeaders().get("content-location");
		assertThat(location).hasSize(1);

		JsonNode manifest = pollUntilDone(location.get(0), token);
		assertThat(manifest.get("requiresAccessToken").asBoolean()).isTrue();
		List<String> mrns = new ArrayList<>();
		for (JsonNode output : manifest.get("output")) {
			assertThat(output.get("type").asText()).isEqualTo("Patient");
			Binary file = client.read().resource(Binary.class).withUrl(output.get("url").asText()).execute();
			for (String line : new String(file.getData(), StandardCharsets.UTF_8).split("\n")) {
				if (!line.isBlank()) {
					Patient p = FhirContext.forR4Cached().newJsonParser().parseResource(Patient.class, line);
					p.getIdentifier().forEach(id -> mrns.add(id.getValue()));
				}
			}
		}
		assertThat(mrns).contains(mrn);
	}

	/** SMART Backend Services "Obtaining an access token": a fresh ES384 assertion, client_credentials grant. */
	private String tokenBySignedAssertion() throws Exception {
		String tokenUrl = "http://localhost:" + port + "/oauth2/token";
		JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(BackendClientKeys.EC_CLIENT).subject(BackendClientKeys.EC_CLIENT)
				.audience(tokenUrl).expirationTime(Date.from(Instant.now().plusSeconds(240)))
				.jwtID(UUID.randomUUID().toString()).build();
		SignedJWT assertion = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES384).type(JOSEObjectType.JWT)
				.keyID(BackendClientKeys.ecKey().getKeyID()).build(), claims);
		assertion.sign(new ECDSASigner(BackendClientKeys.ecKey()));
		String form = "grant_type=client_credentials"
				+ "&client_assertion_type=" + URLEncoder.encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer", StandardCharsets.UTF_8)
				+ "&client_assertion=" + assertion.serialize();
		HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(tokenUrl))
				.header("Content-Type", "application/x-www-form-urlencoded")
				.POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).isEqualTo(200);
		return JSON.readTree(response.body()).get("access_token").asText();
	}

	/** Bulk Data "Status Request": 202 while in progress, 200 with the manifest when complete. */
	private JsonNode pollUntilDone(String statusUrl, String token) throws Exception {
		Instant deadline = Instant.now().plus(DEADLINE);
		while (true) {
			HttpResponse<String> status = http.send(HttpRequest.newBuilder(URI.create(statusUrl))
					.header("Authorization", "Bearer " + token).header("Accept", "application/json").GET().build(),
					HttpResponse.BodyHandlers.ofString());
			if (status.statusCode() == 200) {
				return JSON.readTree(status.body());
			}
			assertThat(status.statusCode()).as("status of the export: %s", status.body()).isEqualTo(202);
			assertThat(Instant.now()).as("export finished within %s", DEADLINE).isBefore(deadline);
			Thread.sleep(250);
		}
	}
}

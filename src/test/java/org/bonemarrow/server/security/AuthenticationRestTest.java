package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;

import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.stream.Stream;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.bonemarrow.server.support.Tokens;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Who may call at all: tokens from the embedded authorization server, and 401 for everyone else. */
@FhirServerTest
class AuthenticationRestTest extends RestTestBase {

	@Test
	void firstStartCreatesOneClientPerRole_withRandomSecretsInAnOwnerOnlyFile() throws Exception {
		var file = authorizationServer.clientsFile();
		assertThat(Files.getPosixFilePermissions(file))
				.containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
		List<String> secrets = Stream.of("ehr", "lab", "integration", "auditor")
				.map(id -> Tokens.secret(file, id)).toList();
		assertThat(secrets).doesNotHaveDuplicates().allSatisfy(s -> assertThat(s).hasSizeGreaterThanOrEqualTo(40));
	}

	@Test
	void tokenEndpointIssuesTheRolesScopes_andRefusesWrongSecretsAndForeignScopes() {
		Response ok = Tokens.request(port, "lab", Tokens.secret(authorizationServer.clientsFile(), "lab"), null);
		ok.then().statusCode(200);
		assertThat(ok.jsonPath().getString("token_type")).isEqualTo("Bearer");

		Response narrowed = Tokens.request(port, "lab", Tokens.secret(authorizationServer.clientsFile(), "lab"),
				"system/DiagnosticReport.crus");
		narrowed.then().statusCode(200);
		assertThat(narrowed.jsonPath().getString("scope")).isEqualTo("system/DiagnosticReport.crus");

		Tokens.request(port, "lab", "not-the-secret", null).then().statusCode(401)
				.body("error", org.hamcrest.Matchers.equalTo("invalid_client"));
		Tokens.request(port, "lab", Tokens.secret(authorizationServer.clientsFile(), "lab"), "system/ServiceRequest.cru")
				.then().statusCode(400).body("error", org.hamcrest.Matchers.equalTo("invalid_scope"));
	}

	static Stream<Arguments> everythingButMetadata() {
		return Stream.of(
				Arguments.of("GET", "/Patient", null),
				Arguments.of("GET", "/Patient/1", null),
				Arguments.of("GET", "/AuditEvent", null),
				Arguments.of("GET", "/ServiceRequest/1/$exam-summary", null),
				Arguments.of("GET", "/_history", null),
				Arguments.of("POST", "/Patient", "{\"resourceType\":\"Patient\"}"),
				Arguments.of("PUT", "/Patient/x1", "{\"resourceType\":\"Patient\",\"id\":\"x1\"}"),
				Arguments.of("DELETE", "/Patient/1", null),
				Arguments.of("POST", "", "{\"resourceType\":\"Bundle\",\"type\":\"transaction\"}"));
	}

	@ParameterizedTest(name = "{0} {1}")
	@MethodSource("everythingButMetadata")
	void withoutATokenNothingButMetadata_answers401WithAnOutcome(String method, String path, String body) {
		var request = anonymous();
		if (body != null) {
			request.body(body);
		}
		Response r = request.request(method, path);
		r.then().statusCode(401).header("WWW-Authenticate", containsString("Bearer"));
		OperationOutcome outcome = outcome(r);
		assertThat(outcome.getIssueFirstRep().getCode()).isEqualTo(OperationOutcome.IssueType.LOGIN);
		assertThat(outcome.getIssueFirstRep().getDiagnostics()).contains("bearer token");
	}

	@Test
	void aForgedOrGarbledTokenIs401_andNothingIsStored() {
		String family = Fixtures.unique("Forged");
		Patient p = new Patient();
		p.addName().setFamily(family);
		String forged = token("ehr").substring(0, token("ehr").lastIndexOf('.') + 1) + "c2lnbmF0dXJl";
		anonymous().auth().oauth2(forged).body(json(p)).post("/Patient").then().statusCode(401)
				.header("WWW-Authenticate", containsString("invalid_token"));
		anonymous().auth().oauth2("garbage").get("/Patient").then().statusCode(401);
		assertThat(total("/Patient?family=" + family)).isZero();
	}

	@Test
	void metadataIsPublic_andAdvertisesSmartWithTheTokenEndpoint() {
		Response r = anonymous().get("/metadata");
		r.then().statusCode(200);
		CapabilityStatement cs = parse(r, CapabilityStatement.class);
		var security = cs.getRestFirstRep().getSecurity();
		assertThat(security.getServiceFirstRep().getCodingFirstRep().getCode()).isEqualTo("SMART-on-FHIR");
		String token = security.getExtensionByUrl("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris")
				.getExtensionByUrl("token").getValue().primitiveValue();
		assertThat(token).endsWith("/oauth2/token");
	}

	@Test
	void smartConfigurationIsPublic_andNamesTheGrantAndScopes() {
		anonymous().get("/.well-known/smart-configuration").then().statusCode(200)
				.body("token_endpoint", containsString("/oauth2/token"))
				.body("grant_types_supported", hasItem("client_credentials"))
				.body("scopes_supported", hasItem("system/DiagnosticReport.crus"))
				.body("capabilities", hasItem("permission-v2"));
	}
}

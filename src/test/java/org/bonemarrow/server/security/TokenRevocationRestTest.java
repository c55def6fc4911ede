package org.bonemarrow.server.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.bonemarrow.server.support.Tokens;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.junit.jupiter.api.Test;

/** A token revoked at /oauth2/revoke (RFC 7009) is refused at once, not at its expiry (issue 19). */
@FhirServerTest
class TokenRevocationRestTest extends RestTestBase {

	@Test
	void aRevokedTokenIs401AtOnce_andTheClientsOtherTokensStillWork() {
		String secret = Tokens.secret(authorizationServer.clientsFile(), "integration");
		String revoked = fresh(secret);
		String other = fresh(secret);
		withToken(revoked).get("/Patient?_count=1").then().statusCode(200);

		given().baseUri("http://localhost").port(port).basePath("")
				.auth().preemptive().basic("integration", secret)
				.contentType("application/x-www-form-urlencoded")
				.formParam("token", revoked).formParam("token_type_hint", "access_token")
				.post("/oauth2/revoke").then().statusCode(200);

		Response refused = withToken(revoked).get("/Patient?_count=1");
		assertThat(refused.statusCode()).isEqualTo(401);
		assertThat(refused.header("WWW-Authenticate")).contains("Bearer");
		assertThat(outcome(refused).getIssueFirstRep().getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
		withToken(other).get("/Patient?_count=1").then().statusCode(200);
	}

	private String fresh(String secret) {
		Response r = Tokens.request(port, "integration", secret, null);
		r.then().statusCode(200);
		return r.jsonPath().getString("access_token");
	}

	private io.restassured.specification.RequestSpecification withToken(String token) {
		return anonymous().auth().preemptive().oauth2(token);
	}
}

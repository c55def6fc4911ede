package org.bonemarrow.server.console;

import static org.assertj.core.api.Assertions.assertThat;
import static io.restassured.RestAssured.given;

import io.restassured.response.Response;
import java.util.Map;
import org.bonemarrow.server.support.ConsoleSession;
import org.bonemarrow.server.support.ConsoleSessions;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.junit.jupiter.api.Test;

/**
 * The console's doors over real HTTP: the public landing page, sign-in by authorization code + PKCE at the
 * embedded authorization server, each role's pages, sign-out, CSRF, and the authorization server refusing
 * to send a code anywhere but back to the console.
 */
@FhirServerTest
class ConsoleSignInTest extends RestTestBase {

	@Test
	void landingPageSaysWhatTheServerIsAndLinksItsDoorsWithoutSignIn() {
		Response r = given().baseUri("http://localhost").port(port).basePath("").get("/");
		assertThat(r.statusCode()).isEqualTo(200);
		assertThat(r.contentType()).startsWith("text/html");
		Document page = Jsoup.parse(r.asString());
		assertThat(page.select("h1").text()).isEqualTo("Bone Marrow Exam FHIR Server");
		assertThat(page.select("#link-console").attr("href")).isEqualTo("/console");
		assertThat(page.select("#link-fhir").attr("href")).isEqualTo("/fhir/metadata");
		assertThat(page.select("#link-api-docs").attr("href")).isEqualTo("/fhir/swagger-ui/");
		assertThat(r.header("Content-Security-Policy")).contains("script-src 'self'");
		assertThat(page.select(".notice")).as("no sign-out or failure notice unasked").isEmpty();
	}

	@Test
	void labManagerSignsInAndSeesTheLabPagesOnly() {
		ConsoleSession session = console("lab-manager");
		Document home = session.page("/console");
		assertThat(home.select("#signed-in-user").text()).isEqualTo("lab-manager");
		assertThat(home.select("header nav a").eachText()).containsExactly("Worklist", "Turnaround");
		assertThat(session.get("/console/deliveries").statusCode()).isEqualTo(403);
		assertThat(session.get("/console/v2").statusCode()).isEqualTo(403);
		assertThat(session.get("/console/audit").statusCode()).isEqualTo(403);
	}

	@Test
	void eachRoleIsRefusedThePagesOfTheOthers() {
		ConsoleSession auditor = console("auditor");
		Response deliveries = auditor.get("/console/deliveries");
		assertThat(deliveries.statusCode()).isEqualTo(403);
		assertThat(Jsoup.parse(deliveries.asString()).select("#forbidden").text()).isEqualTo("Not allowed for your role");
		assertThat(auditor.get("/console/worklist").statusCode()).isEqualTo(403);
		assertThat(auditor.page("/console").select("header nav a").eachText()).containsExactly("Audit trail");

		ConsoleSession engineer = console("integration-engineer");
		assertThat(engineer.get("/console/audit").statusCode()).isEqualTo(403);
		assertThat(engineer.page("/console").select("header nav a").eachText())
				.containsExactly("Worklist", "Turnaround", "Deliveries", "HL7 v2 messages");
	}

	@Test
	void aWrongPasswordIsRefusedAndSignsNobodyIn() {
		ConsoleSession session = ConsoleSessions.anonymous(port);
		String signIn = ConsoleSessions.startAt(session, "/console");
		Response refused = ConsoleSessions.submitSignIn(session, signIn, "lab-manager", "not-the-password");
		assertThat(refused.statusCode()).isEqualTo(302);
		assertThat(refused.header("Location")).endsWith("/sign-in?error");
		assertThat(session.page("/sign-in?error").select("#sign-in-error").text()).contains("Wrong user name or password");
		assertThat(session.page("/sign-in").select("#sign-in-error")).isEmpty();
		// Still not signed in at the console.
		assertThat(session.get("/console").statusCode()).isEqualTo(302);
	}

	@Test
	void signOutEndsTheSessionAndFormsNeedTheirCsrfToken() {
		ConsoleSession session = console("lab-manager");
		assertThat(session.postWithoutCsrf("/console/sign-out", Map.of()).statusCode()).isEqualTo(403);
		assertThat(session.get("/console").statusCode()).as("still signed in").isEqualTo(200);

		Response out = session.post("/console/sign-out", Map.of());
		assertThat(out.statusCode()).isEqualTo(302);
		assertThat(out.header("Location")).endsWith("/?signed-out");
		assertThat(session.page("/?signed-out").select("#signed-out").text()).isEqualTo("You are signed out.");
		assertThat(session.get("/console").statusCode()).isEqualTo(302);
	}

	@Test
	void theAuthorizationServerSendsTheConsolesCodeNowhereButBackToTheConsole() {
		ConsoleSession session = console("lab-manager");
		for (String redirect : new String[] {"https://evil.example/console/oauth2/code/console",
				"http://localhost:" + port + "/somewhere-else", "http://localhost.evil.example/console/oauth2/code/console"}) {
			Response r = session.get("/oauth2/authorize?response_type=code&client_id=console&scope=openid"
					+ "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
					+ "&state=s&redirect_uri=" + java.net.URLEncoder.encode(redirect, java.nio.charset.StandardCharsets.UTF_8));
			assertThat(r.statusCode()).as(redirect).isEqualTo(400);
			assertThat(r.header("Location")).as(redirect).isNull();
		}
		// Without PKCE the console client gets no code either (public client, proof key required).
		Response noPkce = session.get("/oauth2/authorize?response_type=code&client_id=console&scope=openid&state=s"
				+ "&redirect_uri=" + java.net.URLEncoder.encode("http://localhost:" + port + "/console/oauth2/code/console",
						java.nio.charset.StandardCharsets.UTF_8));
		assertThat(noPkce.statusCode()).isEqualTo(302);
		assertThat(noPkce.header("Location")).contains("error=invalid_request").doesNotContain("code=");
	}
}

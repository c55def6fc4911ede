package org.bonemarrow.server.support;

import static io.restassured.RestAssured.given;

import ca.uhn.fhir.context.FhirContext;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Subscription;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.bonemarrow.server.security.ConsoleUsers;
import org.bonemarrow.server.security.EmbeddedAuthorizationServer;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * REST Assured against the server on its random port, with FHIR JSON in and out. {@link #fhir()} calls as
 * the all-scopes test client; {@link #fhirAs(String)} as one of the server's real client roles.
 */
public abstract class RestTestBase {

	protected static final FhirContext CTX = FhirContext.forR4Cached();
	public static final String FHIR_JSON = "application/fhir+json";

	@LocalServerPort
	protected int port;

	/** The server's own record of its clients: where an administrator reads the secrets. */
	@Autowired
	protected EmbeddedAuthorizationServer authorizationServer;

	/** The console's users, where an administrator reads their passwords (absent with an external provider). */
	@Autowired(required = false)
	protected ConsoleUsers consoleUsers;

	@BeforeEach
	void pointRestAssuredAtServer() {
		RestAssured.port = port;
		RestAssured.basePath = "/fhir";
	}

	protected RequestSpecification fhir() {
		return fhirAs(Tokens.TEST_ADMIN);
	}

	/** As the given client (ehr, lab, integration, auditor, test-admin), with a token from /oauth2/token. */
	protected RequestSpecification fhirAs(String clientId) {
		return anonymous().auth().preemptive().oauth2(token(clientId));
	}

	/** Without any credentials. */
	protected RequestSpecification anonymous() {
		return given().accept(FHIR_JSON).contentType(FHIR_JSON);
	}

	/** A browser session with the console, signed in as this console user (lab-manager, integration-engineer, auditor). */
	protected ConsoleSession console(String username) {
		return ConsoleSessions.signIn(port, consoleUsers.file(), username);
	}

	/**
	 * A rest-hook Subscription (JSON payload) to this endpoint, once the server has activated it.
	 *
	 * @return its id, {@code Subscription/<id>}, which is also its receiver name in the delivery outbox
	 */
	protected String activeRestHookSubscription(String criteria, String endpoint) {
		Subscription s = new Subscription();
		s.setStatus(Subscription.SubscriptionStatus.REQUESTED);
		s.setReason("test receiver");
		s.setCriteria(criteria);
		s.getChannel().setType(Subscription.SubscriptionChannelType.RESTHOOK).setEndpoint(endpoint)
				.setPayload("application/fhir+json");
		String id = create(s);
		Awaitility.await("subscription active").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
				.until(() -> parse(fhir().get("/" + id), Subscription.class).getStatus() == Subscription.SubscriptionStatus.ACTIVE);
		return id.replaceAll("/_history/.*", "");
	}

	protected String token(String clientId) {
		return Tokens.token(port, authorizationServer.clientsFile(), clientId);
	}

	protected static String json(IBaseResource resource) {
		return CTX.newJsonParser().encodeResourceToString(resource);
	}

	protected static <T extends IBaseResource> T parse(Response response, Class<T> type) {
		return CTX.newJsonParser().parseResource(type, response.asString());
	}

	protected static Bundle bundle(Response response) {
		return parse(response, Bundle.class);
	}

	protected static OperationOutcome outcome(Response response) {
		return parse(response, OperationOutcome.class);
	}

	/** Creates the resource and returns its id as {@code Type/id} (no version). */
	protected String create(IBaseResource resource) {
		Response r = fhir().body(json(resource)).post("/" + CTX.getResourceType(resource));
		r.then().statusCode(201);
		return idFromLocation(r.header("Location"));
	}

	/** {@code .../fhir/ServiceRequest/12/_history/1} -> {@code ServiceRequest/12}. */
	protected static String idFromLocation(String location) {
		String path = location.substring(location.indexOf("/fhir/") + "/fhir/".length());
		int history = path.indexOf("/_history");
		return history < 0 ? path : path.substring(0, history);
	}

	protected int total(String searchUrl) {
		Response r = fhir().get(searchUrl + (searchUrl.contains("?") ? "&" : "?") + "_total=accurate");
		r.then().statusCode(200).contentType(ContentType.JSON);
		return bundle(r).getTotal();
	}
}

package org.bonemarrow.server.v2;

import static io.restassured.RestAssured.given;

import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

/** Every HTTP request the v2 tests make goes through {@link #post}: one message, one bearer token. */
final class V2Http {

	private V2Http() {}

	/**
	 * {@code POST /hl7v2} with one message and this bearer token (from the real token endpoint, see
	 * {@code RestTestBase#token}); {@code bearerToken} null: no credentials.
	 *
	 * @param port the server's HTTP port
	 */
	static Response post(int port, String bearerToken, String message) {
		RequestSpecification request = given().port(port).basePath("")
				.contentType("x-application/hl7-v2+er7; charset=UTF-8")
				.body(message.getBytes(java.nio.charset.StandardCharsets.UTF_8));
		if (bearerToken != null) {
			request = request.auth().preemptive().oauth2(bearerToken);
		}
		return request.post(V2HttpEndpoint.PATH);
	}
}

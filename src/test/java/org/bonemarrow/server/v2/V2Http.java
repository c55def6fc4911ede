package org.bonemarrow.server.v2;

import static io.restassured.RestAssured.given;

import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

/**
 * Every HTTP request the v2 tests make goes through {@link #post}, so that switching from the test caller
 * header to real bearer tokens (when the security filter is merged) is a change here only.
 */
final class V2Http {

	private V2Http() {}

	/**
	 * {@code POST /hl7v2} with one message, as a client with this role; {@code role} null: no credentials.
	 *
	 * @param port the server's HTTP port
	 */
	static Response post(int port, String role, String message) {
		RequestSpecification request = given().port(port).basePath("")
				.contentType("x-application/hl7-v2+er7; charset=UTF-8")
				.body(message.getBytes(java.nio.charset.StandardCharsets.UTF_8));
		if (role != null) {
			request = request.header(V2TestCallerFilter.HEADER, role);
		}
		return request.post(V2HttpEndpoint.PATH);
	}
}

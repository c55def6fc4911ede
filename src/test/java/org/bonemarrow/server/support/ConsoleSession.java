package org.bonemarrow.server.support;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * A browser's session with the console, over plain HTTP: the session cookie, redirects not followed (a
 * test sees them), and the CSRF token a page's forms carry.
 */
public final class ConsoleSession {

	private final int port;
	private final Map<String, String> cookies = new ConcurrentHashMap<>();

	ConsoleSession(int port) {
		this.port = port;
	}

	/** GET without following redirects. */
	public Response get(String pathAndQuery) {
		return remember(request().get(pathAndQuery));
	}

	/** GET that must answer 200 HTML, as a document. */
	public Document page(String pathAndQuery) {
		Response r = get(pathAndQuery);
		assertThat(r.statusCode()).as("GET %s", pathAndQuery).isEqualTo(200);
		return Jsoup.parse(r.asString(), "http://localhost:" + port + pathAndQuery);
	}

	/** POST a form with the session's CSRF token (read from the console home page's sign-out form). */
	public Response post(String path, Map<String, String> form) {
		Map<String, String> withToken = new java.util.LinkedHashMap<>(form);
		withToken.put("_csrf", csrfToken());
		return postForm(path, withToken);
	}

	/** POST a form without a CSRF token (to prove the console refuses it). */
	public Response postWithoutCsrf(String path, Map<String, String> form) {
		return postForm(path, form);
	}

	/** POST these fields, URL-encoded here (the request itself sends paths and bodies as given). */
	public Response postForm(String path, Map<String, String> form) {
		StringBuilder body = new StringBuilder();
		form.forEach((name, value) -> body.append(body.isEmpty() ? "" : "&")
				.append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
				.append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
		return remember(request().contentType("application/x-www-form-urlencoded").body(body.toString()).post(path));
	}

	public String csrfToken() {
		Document home = page("/console");
		Element token = home.selectFirst("input[name=_csrf]");
		assertThat(token).as("a CSRF token on the console home page").isNotNull();
		return token.attr("value");
	}

	public Map<String, String> cookies() {
		return Map.copyOf(cookies);
	}

	RequestSpecification request() {
		// Locations arrive URL-encoded already (an authorization request's redirect_uri, state): sent as they are.
		return given().baseUri("http://localhost").port(port).basePath("").urlEncodingEnabled(false).redirects().follow(false)
				.cookies(Map.copyOf(cookies));
	}

	Response remember(Response r) {
		r.getDetailedCookies().forEach(c -> {
			if (c.getMaxAge() == 0) {
				cookies.remove(c.getName());
			} else {
				cookies.put(c.getName(), c.getValue());
			}
		});
		return r;
	}
}

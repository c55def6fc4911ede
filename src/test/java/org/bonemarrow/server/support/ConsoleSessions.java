package org.bonemarrow.server.support;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.restassured.response.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;

/**
 * Signs a console user in as a browser does: the console sends it to the authorization server, which
 * asks for the password on its sign-in form and sends it back with a code (authorization code + PKCE),
 * which the console exchanges for the user's ID token. Every hop is asserted, so a broken link in the
 * chain fails here with the hop named.
 */
public final class ConsoleSessions {

	private static final ObjectMapper JSON = new ObjectMapper();

	private ConsoleSessions() {}

	/** The user's password as the server wrote it to {@code <data-dir>/security/console-users.json}. */
	public static String password(Path usersFile, String username) {
		try {
			for (JsonNode user : JSON.readTree(usersFile.toFile()).get("users")) {
				if (username.equals(user.get("username").asText())) {
					return user.get("password").asText();
				}
			}
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		throw new IllegalArgumentException("No console user " + username + " in " + usersFile);
	}

	/** A browser session that has not signed in. */
	public static ConsoleSession anonymous(int port) {
		return new ConsoleSession(port);
	}

	public static ConsoleSession signIn(int port, Path usersFile, String username) {
		return signIn(port, username, password(usersFile, username));
	}

	public static ConsoleSession signIn(int port, String username, String password) {
		ConsoleSession session = new ConsoleSession(port);
		String signInPage = startAt(session, "/console");
		Response posted = submitSignIn(session, signInPage, username, password);
		assertThat(posted.statusCode()).as("sign-in form answer").isEqualTo(302);
		String next = posted.header("Location");
		assertThat(next).as("wrong user name or password?").doesNotContain("error");
		// /oauth2/authorize issues the code, then the console's redirection endpoint exchanges it.
		Response authorized = session.get(path(next));
		assertThat(authorized.statusCode()).as("authorization endpoint").isEqualTo(302);
		String callback = authorized.header("Location");
		assertThat(callback).as("redirect back to the console with a code").contains("/console/oauth2/code/console?code=");
		Response signedIn = session.get(path(callback));
		assertThat(signedIn.statusCode()).as("console redirection endpoint").isEqualTo(302);
		assertThat(signedIn.header("Location")).as("signed in").doesNotContain("sign-in-failed");
		return session;
	}

	/**
	 * Follows the console's and the authorization server's redirects from a console page to the sign-in
	 * form, and returns its path.
	 */
	public static String startAt(ConsoleSession session, String consolePath) {
		Response toClient = session.get(consolePath);
		assertThat(toClient.statusCode()).as("console page before sign-in").isEqualTo(302);
		Response toAuthorize = session.get(path(toClient.header("Location")));
		assertThat(toAuthorize.statusCode()).as("console's authorization request").isEqualTo(302);
		String authorize = toAuthorize.header("Location");
		assertThat(authorize).contains("/oauth2/authorize?").contains("code_challenge=").contains("code_challenge_method=S256");
		Response toSignIn = session.get(path(authorize));
		assertThat(toSignIn.statusCode()).as("authorization endpoint before sign-in").isEqualTo(302);
		assertThat(toSignIn.header("Location")).endsWith("/sign-in");
		return path(toSignIn.header("Location"));
	}

	/** Fills in and posts the sign-in form; returns the raw answer. */
	public static Response submitSignIn(ConsoleSession session, String signInPath, String username, String password) {
		Response form = session.get(signInPath);
		assertThat(form.statusCode()).isEqualTo(200);
		Element csrf = Jsoup.parse(form.asString()).selectFirst("form input[name=_csrf]");
		assertThat(csrf).as("CSRF token on the sign-in form").isNotNull();
		return session.postForm(signInPath, java.util.Map.of("username", username, "password", password,
				"_csrf", csrf.attr("value")));
	}

	/** A Location header as a path and query on this server. */
	static String path(String location) {
		URI uri = URI.create(location);
		return uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
	}
}

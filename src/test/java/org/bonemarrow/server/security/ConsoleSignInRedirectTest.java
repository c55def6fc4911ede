package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which redirect URIs the console client may name beyond its registered ones: localhost on any port only. */
class ConsoleSignInRedirectTest {

	@ParameterizedTest(name = "{0} -> {1}")
	@CsvSource({
		"http://localhost:8080/console/oauth2/code/console, true",
		"http://localhost:41234/console/oauth2/code/console, true",
		"https://LOCALHOST:8443/console/oauth2/code/console, true",
		"http://localhost:8080/console/oauth2/code/other, false",
		"http://localhost:8080/console/oauth2/code/console?next=x, false",
		"http://user@localhost:8080/console/oauth2/code/console, false",
		"http://localhost.evil.example/console/oauth2/code/console, false",
		"https://evil.example/console/oauth2/code/console, false",
		"javascript://localhost/console/oauth2/code/console, false",
	})
	void onlyTheConsolesOwnPathOnLocalhost(String uri, boolean accepted) {
		assertThat(ConsoleSignIn.isLocalhostConsole(uri)).isEqualTo(accepted);
	}
}

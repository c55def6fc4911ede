package org.bonemarrow.server.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.UUID;

/**
 * The embedded authorization server's token signing key, an RSA key kept in
 * {@code <data-dir>/security/token-signing-key.json} (owner-only) so that tokens survive a restart.
 */
final class SigningKey {

	static final String FILE_NAME = "token-signing-key.json";

	private SigningKey() {}

	static RSAKey loadOrCreate(Path file) {
		try {
			if (Files.exists(file)) {
				return RSAKey.parse(Files.readString(file));
			}
			RSAKey key = new RSAKeyGenerator(2048).keyID(UUID.randomUUID().toString()).generate();
			SecretFiles.write(file, key.toJSONString());
			return key;
		} catch (IOException e) {
			throw new UncheckedIOException("Cannot read " + file, e);
		} catch (ParseException | JOSEException e) {
			throw new IllegalStateException("Cannot use the token signing key in " + file
					+ "; delete it to make a new one (tokens issued so far become invalid)", e);
		}
	}
}

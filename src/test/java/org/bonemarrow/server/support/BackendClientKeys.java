package org.bonemarrow.server.support;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;

/**
 * The test JVM's SMART backend clients (private_key_jwt), registered with the shared server by this
 * initializer. Their key pairs are made here, once per JVM, never committed: the server is given the public
 * halves only, and tests sign with the private ones from the static accessors, with nimbus directly (no code
 * shared with the server's verification).
 * <ul>
 * <li>{@link #RS_CLIENT} (role lab): an inline JWK set of two RSA keys, {@code rs-old} and {@code rs-new},
 * so {@code kid} has to pick the key;
 * <li>{@link #EC_CLIENT} (role integration): an EC P-384 key served as a JWK set by a loopback HTTP server
 * started here, registered by its URL.
 * </ul>
 */
public class BackendClientKeys implements ApplicationContextInitializer<ConfigurableApplicationContext> {

	public static final String RS_CLIENT = "backend-rs";
	public static final String EC_CLIENT = "backend-ec";

	private static final String PREFIX = "bonemarrow.security.embedded.backend-clients.";
	private static Keys keys;

	private record Keys(RSAKey rsOld, RSAKey rsNew, ECKey ec, HttpServer jwksServer, AtomicInteger jwksReads) {}

	@Override
	public void initialize(ConfigurableApplicationContext context) {
		Keys k = keys();
		String jwksUrl = "http://127.0.0.1:" + k.jwksServer().getAddress().getPort() + "/jwks.json";
		context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("backendClientKeys", Map.of(
				PREFIX + RS_CLIENT + ".role", "lab",
				PREFIX + RS_CLIENT + ".jwks", new JWKSet(List.of(k.rsOld(), k.rsNew())).toString(true),
				PREFIX + EC_CLIENT + ".role", "integration",
				PREFIX + EC_CLIENT + ".jwks-url", jwksUrl)));
	}

	/** The RS384 client's current key (kid {@code rs-new}), private half included. */
	public static RSAKey rsKey() {
		return keys().rsNew();
	}

	/** The RS384 client's other registered key (kid {@code rs-old}). */
	public static RSAKey rsOldKey() {
		return keys().rsOld();
	}

	/** The ES384 client's key (kid {@code ec-1}), private half included. */
	public static ECKey ecKey() {
		return keys().ec();
	}

	/** How often the server has read the EC client's JWK set URL. */
	public static int jwksReads() {
		return keys().jwksReads().get();
	}

	private static synchronized Keys keys() {
		if (keys == null) {
			try {
				RSAKey rsOld = new RSAKeyGenerator(2048).keyID("rs-old").generate();
				RSAKey rsNew = new RSAKeyGenerator(2048).keyID("rs-new").generate();
				ECKey ec = new ECKeyGenerator(Curve.P_384).keyID("ec-1").generate();
				AtomicInteger reads = new AtomicInteger();
				keys = new Keys(rsOld, rsNew, ec, jwksServer(new JWKSet(ec).toString(true), reads), reads);
			} catch (JOSEException e) {
				throw new IllegalStateException(e);
			}
		}
		return keys;
	}

	private static HttpServer jwksServer(String publicJwks, AtomicInteger reads) {
		try {
			HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
			server.createContext("/jwks.json", exchange -> {
				reads.incrementAndGet();
				byte[] body = publicJwks.getBytes(StandardCharsets.UTF_8);
				exchange.getResponseHeaders().set("Content-Type", "application/json");
				exchange.sendResponseHeaders(200, body.length);
				try (OutputStream out = exchange.getResponseBody()) {
					out.write(body);
				}
			});
			server.start();
			return server;
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}

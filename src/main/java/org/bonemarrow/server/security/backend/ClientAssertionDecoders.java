package org.bonemarrow.server.security.backend;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.net.MalformedURLException;
import java.text.ParseException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtDecoderFactory;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.JwtValidationException;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.context.AuthorizationServerContext;
import org.springframework.security.oauth2.server.authorization.context.AuthorizationServerContextHolder;

/**
 * Verifies backend clients' assertions (private_key_jwt) for Spring Authorization Server's
 * {@code JwtClientAssertionAuthenticationProvider}, in place of its own factory, which reads keys only from
 * a JWK set URL and accepts one algorithm per client. Here the keys are the registered ones, inline or
 * from the client's URL, and both RS384 and ES384 are accepted, the key chosen by the header's {@code alg}
 * and {@code kid} (SMART App Launch 2.x: servers support both). Every refusal is a
 * {@link ClientAssertionRefused} naming the check that failed.
 */
public final class ClientAssertionDecoders implements JwtDecoderFactory<RegisteredClient> {

	static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS384, JWSAlgorithm.ES384);
	/** How long a client's key server may take; the token request waits for it. */
	private static final int JWKS_TIMEOUT_MILLIS = 5_000;
	private static final int JWKS_SIZE_LIMIT = 64 * 1024;

	private final Map<String, JwtDecoder> decoders;

	/**
	 * @param tokenEndpoints the token endpoint URLs an assertion's {@code aud} may name (see
	 *                       {@link #tokenEndpointsOfThisRequest})
	 */
	public ClientAssertionDecoders(List<BackendClients.Client> clients, Supplier<Collection<String>> tokenEndpoints,
			JtiReplayWindow replays, Clock clock) {
		this.decoders = clients.stream().collect(Collectors.toUnmodifiableMap(BackendClients.Client::clientId,
				client -> decoder(client, new ClientAssertionChecks(client.clientId(), tokenEndpoints, replays, clock))));
	}

	@Override
	public JwtDecoder createDecoder(RegisteredClient client) {
		JwtDecoder decoder = decoders.get(client.getClientId());
		if (decoder == null) {
			return assertion -> {
				throw new ClientAssertionRefused("the client is not registered for private_key_jwt");
			};
		}
		return decoder;
	}

	/**
	 * The token endpoint's URL as configured ({@code bonemarrow.security.token-endpoint}, what discovery then
	 * advertises) and as this request reaches it (the authorization server's issuer, taken from the request,
	 * plus {@code /oauth2/token}): SMART's {@code aud} is "the token URL", the one the client posts to.
	 */
	public static Supplier<Collection<String>> tokenEndpointsOfThisRequest(String configured) {
		return () -> {
			List<String> urls = new ArrayList<>(2);
			if (configured != null && !configured.isBlank()) {
				urls.add(configured);
			}
			AuthorizationServerContext context = AuthorizationServerContextHolder.getContext();
			if (context != null && context.getIssuer() != null) {
				urls.add(context.getIssuer().replaceAll("/+$", "")
						+ context.getAuthorizationServerSettings().getTokenEndpoint());
			}
			return urls;
		};
	}

	private static JwtDecoder decoder(BackendClients.Client client, ClientAssertionChecks checks) {
		DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
		processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keys(client)));
		// RFC 7523 sets no "typ"; SMART's examples say JWT, newer drafts client-authentication+jwt: any will do.
		processor.setJWSTypeVerifier((type, context) -> {});
		// Claims are checked by ClientAssertionChecks, after the signature, with descriptions of our own.
		processor.setJWTClaimsSetVerifier((claims, context) -> {});
		NimbusJwtDecoder verifier = new NimbusJwtDecoder(processor);
		verifier.setJwtValidator(checks);
		Function<String, Jwt> decode = assertion -> {
			checkHeader(client, assertion);
			try {
				return verifier.decode(assertion);
			} catch (JwtValidationException e) {
				throw new ClientAssertionRefused(e.getErrors().iterator().next().getDescription());
			} catch (JwtException e) {
				throw new ClientAssertionRefused(causedBy(e, KeySourceException.class)
						? "the signature could not be checked: the client's JWK set could not be read from its registered URL"
						: "the signature does not verify with a key registered for this client");
			}
		};
		return decode::apply;
	}

	/**
	 * Refuses before any key is looked up: an unsigned or HMAC assertion (alg none, HS256 signed with a
	 * public key as the secret: the classic confusions), and a {@code jku} other than the registered JWKS URL
	 * (SMART: a jku must match the URL registered for the client).
	 */
	private static void checkHeader(BackendClients.Client client, String assertion) {
		JWT jwt;
		try {
			jwt = JWTParser.parse(assertion);
		} catch (ParseException e) {
			throw new ClientAssertionRefused("client_assertion is not a JWT");
		}
		if (!(jwt instanceof SignedJWT signed) || !ALGORITHMS.contains(signed.getHeader().getAlgorithm())) {
			throw new ClientAssertionRefused("the assertion must be signed with RS384 or ES384 (alg)");
		}
		if (signed.getHeader().getJWKURL() != null
				&& (client.jwksUrl() == null || !client.jwksUrl().toString().equals(signed.getHeader().getJWKURL().toString()))) {
			throw new ClientAssertionRefused("jku is not the JWKS URL registered for this client");
		}
	}

	private static JWKSource<SecurityContext> keys(BackendClients.Client client) {
		if (client.keys() != null) {
			return new ImmutableJWKSet<>(client.keys());
		}
		try {
			// Cached (5 minutes) and read again at most every 30 s for a kid not in the cache: a client
			// rotating its keys is served at once, one sending made-up kids cannot make us hammer its URL.
			return JWKSourceBuilder.create(client.jwksUrl().toURL(),
					new DefaultResourceRetriever(JWKS_TIMEOUT_MILLIS, JWKS_TIMEOUT_MILLIS, JWKS_SIZE_LIMIT)).build();
		} catch (MalformedURLException e) {
			throw new IllegalStateException(BackendClients.PREFIX + client.clientId() + ".jwks-url: not a URL", e);
		}
	}

	private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
		for (Throwable t = e; t != null; t = t.getCause()) {
			if (type.isInstance(t)) {
				return true;
			}
		}
		return false;
	}
}

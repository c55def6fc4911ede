package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.ErrorCode;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.bonemarrow.server.security.CallerIdentity;
import org.bonemarrow.server.security.SmartScopes;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * Who an MLLP sender is. MLLP has no authentication of its own, so a sender is named by MSH-3 (sending
 * application) and must be configured ({@code bonemarrow.v2.mllp.senders.<MSH-3>: <role>}); it then has
 * exactly the SMART scopes of that role ({@code bonemarrow.security.roles.<role>}), the same scopes an OAuth
 * client with the role has over FHIR and over {@code POST /hl7v2}. Network-level trust (bind address,
 * {@code allowed-peers}, firewall, VPN) is what makes MSH-3 believable, unless the sender is bound to a client
 * certificate ({@code bonemarrow.v2.mllp.tls.certificate-senders.<MSH-3>}): then MSH-3 is believed only from a
 * mutual TLS connection whose certificate is that one, and a certificate bound to some sender may speak for no
 * other. See README "MLLP over TLS".
 */
@Component
public class V2Senders {

	public static final String CLIENT_ID_PREFIX = "mllp:";

	private final V2Properties properties;
	private final Environment environment;
	private final Map<String, MllpTls.CertificateBinding> bindings = new LinkedHashMap<>();

	public V2Senders(V2Properties properties, Environment environment) {
		this.properties = properties;
		this.environment = environment;
		properties.mllp().tls().certificateSenders().forEach((sender, value) -> bindings.put(sender,
				MllpTls.CertificateBinding.parse(value, "bonemarrow.v2.mllp.tls.certificate-senders." + sender)));
	}

	/**
	 * The identity of a configured MLLP sender as it came over one connection: empty for an unknown sender
	 * (AR as before); refused (AR, ERR-3 207 at MSH-3, nothing stored) when the connection's client certificate
	 * does not fit the sender's binding:
	 * <ul>
	 *   <li>the sender is bound to a certificate and the connection has none (plain MLLP, or TLS without a
	 *       client certificate) or another one;</li>
	 *   <li>the sender is not bound, and the connection's certificate is bound to another sender: a certificate
	 *       names its sender, and that sender may not speak as another.</li>
	 * </ul>
	 * The refusal names the certificate presented (subject and fingerprint, which its sender knows anyway), never
	 * the one expected.
	 */
	public Optional<CallerIdentity> mllpSender(String sendingApplication, MllpServer.Peer peer) {
		Optional<CallerIdentity> sender = mllpSender(sendingApplication);
		if (sender.isEmpty()) {
			return sender;
		}
		X509Certificate certificate = peer == null ? null : peer.certificate();
		MllpTls.CertificateBinding binding = bindings.get(sendingApplication);
		if (binding != null && certificate == null) {
			throw refusal("MSH-3: sender " + sendingApplication + " is bound to a client certificate "
					+ "(bonemarrow.v2.mllp.tls.certificate-senders) and this connection " + (peer != null && peer.tls()
							? "presented none" : "is not over TLS; send to the MLLP over TLS port with that certificate"));
		}
		if (binding != null && !binding.matches(certificate)) {
			throw refusal("MSH-3: sender " + sendingApplication + " is bound to another client certificate than the one "
					+ "this connection presented (" + MllpTls.describe(certificate) + ")");
		}
		if (binding == null && certificate != null
				&& bindings.values().stream().anyMatch(b -> b.matches(certificate))) {
			throw refusal("MSH-3: this connection's client certificate (" + MllpTls.describe(certificate)
					+ ") is bound to another sender than " + sendingApplication);
		}
		return sender;
	}

	private static V2Rejection refusal(String text) {
		return V2Rejection.reject(ErrorCode.APPLICATION_INTERNAL_ERROR, "MSH", 3, text + "; nothing was stored");
	}

	/** The identity of a configured MLLP sender, or empty for an unknown one. */
	public Optional<CallerIdentity> mllpSender(String sendingApplication) {
		if (sendingApplication == null) {
			return Optional.empty();
		}
		String role = properties.mllp().senders().get(sendingApplication);
		if (role == null || role.isBlank()) {
			return Optional.empty();
		}
		return Optional.of(new CallerIdentity(CLIENT_ID_PREFIX + sendingApplication, scopesOf(role)));
	}

	/** The scopes of a configured role; none for an unknown role. */
	public SmartScopes scopesOf(String role) {
		return SmartScopes.parse(environment.getProperty("bonemarrow.security.roles." + role.trim()));
	}
}

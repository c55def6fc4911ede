package org.bonemarrow.server.v2;

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
 * {@code allowed-peers}, firewall, VPN or a TLS-terminating proxy) is what makes MSH-3 believable; see
 * README "HL7 v2".
 */
@Component
public class V2Senders {

	public static final String CLIENT_ID_PREFIX = "mllp:";

	private final V2Properties properties;
	private final Environment environment;

	public V2Senders(V2Properties properties, Environment environment) {
		this.properties = properties;
		this.environment = environment;
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

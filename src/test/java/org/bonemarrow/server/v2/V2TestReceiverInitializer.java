package org.bonemarrow.server.v2;

import java.util.Map;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;

/**
 * Starts the test JVM's {@link TestMllpReceiver} before the shared server context and tells the context its
 * port ({@code bonemarrow.test.v2-receiver-port}, used by {@code bonemarrow.v2.receivers[0].port} in
 * {@link org.bonemarrow.server.support.FhirServerTest}). Same initializer for every test class, so the
 * context stays one shared context. It also turns on the MLLP over TLS listener and its TLS receiver with
 * certificates made now ({@link V2TlsTestSetup}): files under target/ whose paths and password only exist at
 * run time.
 */
public class V2TestReceiverInitializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {

	public static final String PORT_PROPERTY = "bonemarrow.test.v2-receiver-port";

	@Override
	public void initialize(ConfigurableApplicationContext context) {
		int port = TestMllpReceiver.shared().port();
		Map<String, Object> properties = new java.util.HashMap<>(V2TlsTestSetup.shared().properties());
		properties.put(PORT_PROPERTY, Integer.toString(port));
		context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("v2TestReceiver", properties));
	}
}

package org.bonemarrow.server.v2;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shared server context's MLLP over TLS, one per test JVM: a CA the server trusts and a rogue CA it does
 * not, the listener's key (PKCS12) and trust store (JKS, so both store types are read), client certificates for
 * two bound senders (BM-TLS-LAB by subject DN, BM-TLS-EHR by SHA-256 fingerprint), a trusted certificate bound
 * to no sender, a rogue certificate with the lab's very subject DN, and a TLS receiving system for results
 * ({@code test-lis-tls} in {@link org.bonemarrow.server.support.FhirServerTest}) that wants the server's own
 * client certificate.
 */
final class V2TlsTestSetup {

	static final String LAB_SENDER = "BM-TLS-LAB";
	static final String EHR_SENDER = "BM-TLS-EHR";
	static final String LAB_DN = "CN=bm-tls-lab,O=Test Laboratory";
	static final String SERVER_CLIENT_DN = "CN=bonemarrow-fhir-out,O=Bone Marrow FHIR";

	private static V2TlsTestSetup shared;

	final TestPki pki;
	final TestPki.Issued ca;
	final TestPki.Issued rogueCa;
	final TestPki.Issued labClient;
	final TestPki.Issued ehrClient;
	final TestPki.Issued unboundClient;
	final TestPki.Issued rogueLabClient;
	final TestMllpReceiver receiver;
	private final Map<String, String> properties = new LinkedHashMap<>();

	private V2TlsTestSetup() {
		pki = TestPki.shared();
		ca = pki.ca("Test Hospital CA");
		rogueCa = pki.ca("Rogue CA");
		labClient = pki.leaf(LAB_DN, ca);
		ehrClient = pki.leaf("CN=bm-tls-ehr,O=Test EHR", ca);
		unboundClient = pki.leaf("CN=bm-tls-unbound,O=Test Hospital", ca);
		rogueLabClient = pki.leaf(LAB_DN, rogueCa);
		TestPki.Issued listener = pki.leaf("CN=localhost,O=Bone Marrow FHIR", ca);
		TestPki.Issued serverClient = pki.leaf(SERVER_CLIENT_DN, ca);
		receiver = TestMllpReceiver.tls(pki, pki.leaf("CN=localhost,O=Test LIS", ca),
				pki.leaf("CN=localhost,O=Test LIS", rogueCa), ca);

		Path listenerKeys = pki.keyStore(listener, "mllp-listener.p12", "PKCS12");
		Path clientCas = pki.trustStore("mllp-client-cas.jks", "JKS", ca);
		properties.put("bonemarrow.v2.mllp.tls.enabled", "true");
		properties.put("bonemarrow.v2.mllp.tls.port", "0");
		properties.put("bonemarrow.v2.mllp.tls.key-store", listenerKeys.toString());
		properties.put("bonemarrow.v2.mllp.tls.key-store-password", pki.password);
		properties.put("bonemarrow.v2.mllp.tls.trust-store", clientCas.toString());
		properties.put("bonemarrow.v2.mllp.tls.trust-store-type", "JKS");
		properties.put("bonemarrow.v2.mllp.tls.trust-store-password", pki.password);
		properties.put("bonemarrow.v2.mllp.tls.client-auth", "need");
		properties.put("bonemarrow.v2.mllp.senders." + LAB_SENDER, "lab");
		properties.put("bonemarrow.v2.mllp.senders." + EHR_SENDER, "ehr");
		properties.put("bonemarrow.v2.mllp.tls.certificate-senders." + LAB_SENDER, LAB_DN);
		properties.put("bonemarrow.v2.mllp.tls.certificate-senders." + EHR_SENDER, MllpTls.fingerprint(ehrClient.certificate()));
		// For bonemarrow.v2.receivers[1] in FhirServerTest (a list is bound from one property source only).
		properties.put("bonemarrow.test.v2-tls-receiver-port", Integer.toString(receiver.port()));
		properties.put("bonemarrow.test.v2-tls-receiver-trust-store", pki.trustStore("receiver-cas.p12", "PKCS12", ca).toString());
		properties.put("bonemarrow.test.v2-tls-client-key-store", pki.keyStore(serverClient, "v2-out-client.p12", "PKCS12").toString());
		properties.put("bonemarrow.test.pki-password", pki.password);
	}

	static synchronized V2TlsTestSetup shared() {
		if (shared == null) {
			shared = new V2TlsTestSetup();
		}
		return shared;
	}

	Map<String, String> properties() {
		return Map.copyOf(properties);
	}
}

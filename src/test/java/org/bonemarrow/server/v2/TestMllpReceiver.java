package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.AcknowledgmentCode;
import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.HapiContext;
import java.io.IOException;
import java.net.Socket;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;

/**
 * A receiving system (a LIS or EHR interface) on a loopback MLLP port, for the outbound ORU^R01 tests: it
 * records every message and acknowledges it AA, except the first delivery of a message containing one of
 * the marked texts, which it answers AE (to show retries). One per test JVM, started before the shared
 * server context ({@link V2TestReceiverInitializer}) because the server's configuration names its port.
 *
 * <p>{@link #tls} makes one that speaks MLLP over TLS and wants a client certificate: it records the subject of
 * the certificate each message came with, and it can present a certificate from a CA the server does not
 * trust instead of its trusted one ({@link #presentUntrustedCertificate}), counting the handshakes it did so.
 */
public final class TestMllpReceiver {

	private static TestMllpReceiver shared;

	final List<String> received = new CopyOnWriteArrayList<>();
	/** Over TLS: the subject of the client certificate each message came with. */
	final List<String> clientSubjects = new CopyOnWriteArrayList<>();
	private final Set<String> refuseOnce = ConcurrentHashMap.newKeySet();
	private final HapiContext hapi = V2Hapi.parsingContext();
	private final MllpServer server;
	private final SwitchingKeyManager keys;

	private TestMllpReceiver() {
		this(null, null);
	}

	private TestMllpReceiver(MllpServer.Tls tls, SwitchingKeyManager keys) {
		this.keys = keys;
		server = MllpServer.start("127.0.0.1", 0, tls == null ? "test-receiver" : "test-receiver-tls",
				MllpServer.Limits.defaults(), tls, new MllpServer.Handler() {
			@Override
			public String answer(String message, MllpServer.Peer peer) {
				if (peer.certificate() != null) {
					clientSubjects.add(peer.certificate().getSubjectX500Principal().getName());
				}
				return acknowledge(message);
			}

			@Override
			public String refuse(String head, MllpFrameReader.Overflow why, MllpServer.Peer peer) {
				return null;
			}
		});
	}

	public static synchronized TestMllpReceiver shared() {
		if (shared == null) {
			shared = new TestMllpReceiver();
		}
		return shared;
	}

	/**
	 * A receiver over TLS (client certificate needed, issued by {@code clientCa}), presenting {@code trusted}
	 * or, when switched, {@code untrusted}.
	 */
	static TestMllpReceiver tls(TestPki pki, TestPki.Issued trusted, TestPki.Issued untrusted, TestPki.Issued clientCa) {
		try {
			KeyStore ks = KeyStore.getInstance("PKCS12");
			ks.load(null, null);
			ks.setKeyEntry("trusted", trusted.keys().getPrivate(), pki.password.toCharArray(),
					trusted.chain().toArray(Certificate[]::new));
			ks.setKeyEntry("untrusted", untrusted.keys().getPrivate(), pki.password.toCharArray(),
					untrusted.chain().toArray(Certificate[]::new));
			// SunX509: its aliases are the store's own, which the switch names.
			KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
			kmf.init(ks, pki.password.toCharArray());
			SwitchingKeyManager keys = new SwitchingKeyManager((X509KeyManager) kmf.getKeyManagers()[0]);
			KeyStore cas = KeyStore.getInstance("PKCS12");
			cas.load(null, null);
			cas.setCertificateEntry("ca", clientCa.certificate());
			TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
			tmf.init(cas);
			SSLContext context = SSLContext.getInstance("TLS");
			context.init(new javax.net.ssl.KeyManager[] {keys}, tmf.getTrustManagers(), null);
			return new TestMllpReceiver(new MllpServer.Tls(context, MllpServer.ClientAuth.NEED,
					new String[] {"TLSv1.3", "TLSv1.2"}), keys);
		} catch (Exception e) {
			throw new IllegalStateException(e);
		}
	}

	int port() {
		return server.port();
	}

	/** TLS mode: present the certificate the server does not trust (true) or the trusted one (false). */
	void presentUntrustedCertificate(boolean untrusted) {
		keys.untrusted = untrusted;
	}

	/** TLS mode: handshakes in which the untrusted certificate was presented. */
	int untrustedHandshakes() {
		return keys.untrustedHandshakes.get();
	}

	/** The first message containing this text is answered AE; its retry AA. */
	void refuseFirstDeliveryOf(String text) {
		refuseOnce.add(text);
	}

	/** Messages received so far that contain the text (e.g. a test's own placer number). */
	public List<String> containing(String text) {
		return received.stream().filter(m -> m.contains(text)).toList();
	}

	/** Presents one of two keys, chosen by the test. Server side only. */
	private static final class SwitchingKeyManager extends X509ExtendedKeyManager {
		private final X509KeyManager keys;
		volatile boolean untrusted;
		final AtomicInteger untrustedHandshakes = new AtomicInteger();

		SwitchingKeyManager(X509KeyManager keys) {
			this.keys = keys;
		}

		private String alias(String keyType) {
			if (!"EC".equals(keyType)) {
				return null;
			}
			if (untrusted) {
				untrustedHandshakes.incrementAndGet();
				return "untrusted";
			}
			return "trusted";
		}

		@Override
		public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
			return alias(keyType);
		}

		@Override
		public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
			return alias(keyType);
		}

		@Override
		public String[] getServerAliases(String keyType, Principal[] issuers) {
			return keys.getServerAliases(keyType, issuers);
		}

		@Override
		public X509Certificate[] getCertificateChain(String alias) {
			return keys.getCertificateChain(alias);
		}

		@Override
		public PrivateKey getPrivateKey(String alias) {
			return keys.getPrivateKey(alias);
		}

		@Override
		public String[] getClientAliases(String keyType, Principal[] issuers) {
			return null;
		}

		@Override
		public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
			return null;
		}
	}

	private String acknowledge(String raw) {
		received.add(raw);
		boolean refuse = refuseOnce.removeIf(raw::contains);
		try {
			return hapi.getPipeParser().parse(raw).generateACK(refuse ? AcknowledgmentCode.AE : AcknowledgmentCode.AA,
					refuse ? new HL7Exception("test receiver refuses the first delivery") : null).encode();
		} catch (HL7Exception | IOException e) {
			throw new IllegalStateException(e);
		}
	}
}

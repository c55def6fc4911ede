package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.bonemarrow.server.security.CallerIdentity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.mock.env.MockEnvironment;
import org.springframework.util.unit.DataSize;

/**
 * MLLP over TLS without Spring, on real sockets with certificates made here: the listener's handshake (mutual
 * TLS, client-auth want, refusals that leave the listener serving), the stores as a site configures them, the
 * rules that bind a sender to its certificate, and the outbound client's certificate and host name checks.
 */
class MllpTlsTest {

	private static final String MSH = "MSH|^~\\&|TEST-APP|FAC|BONEMARROW-FHIR|BONEMARROW|20250217090000||ORM^O01^ORM_O01|CTRL-1|P|2.5.1";

	private static TestPki pki;
	private static TestPki.Issued ca;
	private static TestPki.Issued rogueCa;
	private static TestPki.Issued server;
	private static TestPki.Issued client;
	private static TestPki.Issued rogueClient;

	private final List<MllpServer.Peer> peers = new CopyOnWriteArrayList<>();
	private final List<MllpServer> servers = new ArrayList<>();

	@BeforeAll
	static void makeCertificates() {
		pki = new TestPki(Path.of("target", "test-pki", "unit-" + V2Samples.newSuffix()));
		ca = pki.ca("Unit CA");
		rogueCa = pki.ca("Unit Rogue CA");
		server = pki.leaf("CN=localhost,O=Unit Listener", ca);
		client = pki.leaf("CN=unit-lab,O=Unit Lab", ca);
		rogueClient = pki.leaf("CN=unit-lab,O=Unit Lab", rogueCa);
	}

	@AfterEach
	void close() {
		servers.forEach(MllpServer::close);
	}

	private MllpServer start(MllpServer.ClientAuth clientAuth) {
		MllpServer s = MllpServer.start("127.0.0.1", 0, "t-tls", MllpServer.Limits.defaults(),
				new MllpServer.Tls(pki.context(server, ca), clientAuth, new String[] {"TLSv1.3", "TLSv1.2"}),
				new MllpServer.Handler() {
					@Override
					public String answer(String message, MllpServer.Peer peer) {
						peers.add(peer);
						return "ACK|AA";
					}

					@Override
					public String refuse(String head, MllpFrameReader.Overflow why, MllpServer.Peer peer) {
						return null;
					}
				});
		servers.add(s);
		return s;
	}

	@Test
	void withMutualTlsEachMessageComesWithTheClientCertificate_refusedHandshakesAreLoggedAndLeaveTheListenerServing()
			throws Exception {
		MllpServer listener = start(MllpServer.ClientAuth.NEED);
		ListAppender<ILoggingEvent> log = capture();
		try {
			assertThat(MllpTlsSockets.send(pki.context(client, ca), listener.port(), MSH)).isEqualTo("ACK|AA");
			assertThat(peers).singleElement().satisfies(p -> {
				assertThat(p.tls()).isTrue();
				assertThat(p.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=unit-lab,O=Unit Lab");
			});

			assertThat(MllpTlsSockets.refused(pki.context(null, ca), listener.port(), MSH)).as("no certificate").isTrue();
			assertThat(warnings(log)).singleElement().asString().contains("handshake with 127.0.0.1 failed")
					.contains("no client certificate");
			assertThat(MllpTlsSockets.refused(pki.context(rogueClient, ca), listener.port(), MSH)).as("untrusted").isTrue();
			assertThat(MllpTlsSockets.plainRefused(listener.port(), MSH)).as("plain MLLP").isTrue();
			assertThat(peers).as("no refused connection reached the handler").hasSize(1);

			assertThat(MllpTlsSockets.send(pki.context(client, ca), listener.port(), MSH)).isEqualTo("ACK|AA");
			assertThat(listener.openConnections()).isLessThanOrEqualTo(1);
		} finally {
			stopCapture(log);
		}
		// What was logged names the peer and the reason: the frames sent were never read.
		assertThat(log.list).noneMatch(e -> e.getFormattedMessage().contains("MSH|"));
	}

	@Test
	void withClientAuthWantAClientWithoutACertificateIsServed_namedByMsh3Only() throws Exception {
		MllpServer listener = start(MllpServer.ClientAuth.WANT);
		assertThat(MllpTlsSockets.send(pki.context(null, ca), listener.port(), MSH)).isEqualTo("ACK|AA");
		assertThat(MllpTlsSockets.send(pki.context(client, ca), listener.port(), MSH)).isEqualTo("ACK|AA");
		assertThat(peers).extracting(p -> p.certificate() == null ? null : p.certificate().getSubjectX500Principal().getName())
				.containsExactly(null, "CN=unit-lab,O=Unit Lab");
		assertThat(peers).allMatch(MllpServer.Peer::tls);
	}

	@Test
	void storesAreReadAsPkcs12OrJks_andAWrongPasswordOrAmbiguousStoreStopsStartUpWithoutShowingThePassword() throws Exception {
		Path jksKeys = pki.keyStore(server, "server.jks", "JKS");
		Path p12Trust = pki.trustStore("cas.p12", "PKCS12", ca);
		SSLContext fromJks = MllpTls.context(new MllpTls.Stores(jksKeys.toString(), "jks", pki.password, "", "",
				p12Trust.toString(), "PKCS12", pki.password), "t");
		MllpServer listener = MllpServer.start("127.0.0.1", 0, "t-jks", MllpServer.Limits.defaults(),
				new MllpServer.Tls(fromJks, MllpServer.ClientAuth.NEED, MllpTls.protocols(List.of(), fromJks, "t")), handler());
		servers.add(listener);
		assertThat(MllpTlsSockets.send(pki.context(client, ca), listener.port(), MSH)).isEqualTo("ACK|AA");

		String wrong = "not-" + pki.password;
		assertThatThrownBy(() -> MllpTls.context(new MllpTls.Stores(jksKeys.toString(), "JKS", wrong, "", "", "", "", ""),
				"bonemarrow.v2.mllp.tls"))
				.isInstanceOf(IllegalStateException.class)
				.hasMessageContaining("bonemarrow.v2.mllp.tls.key-store").hasMessageContaining(jksKeys.toString())
				.hasMessageNotContaining(wrong);
		assertThatThrownBy(() -> MllpTls.context(new MllpTls.Stores("/no/such.p12", "PKCS12", "x", "", "", "", "", ""), "s"))
				.hasMessageContaining("s.key-store: /no/such.p12 is not a readable file");

		java.security.KeyStore two = java.security.KeyStore.getInstance("PKCS12");
		two.load(null, null);
		for (TestPki.Issued k : List.of(server, client)) {
			two.setKeyEntry(k == server ? "listener" : "other", k.keys().getPrivate(), pki.password.toCharArray(),
					k.chain().toArray(java.security.cert.Certificate[]::new));
		}
		Path twoKeys = pki.dir.resolve("two.p12");
		try (var out = java.nio.file.Files.newOutputStream(twoKeys)) {
			two.store(out, pki.password.toCharArray());
		}
		assertThatThrownBy(() -> MllpTls.context(new MllpTls.Stores(twoKeys.toString(), "PKCS12", pki.password, "", "",
				"", "", ""), "s")).hasMessageContaining("holds 2 keys").hasMessageContaining("key-alias");
		MllpTls.context(new MllpTls.Stores(twoKeys.toString(), "PKCS12", pki.password, "", "listener", "", "", ""), "s");

		assertThat(new MllpTls.Stores("k", "PKCS12", "secret-1", "secret-2", "", "t", "JKS", "secret-3").toString())
				.doesNotContain("secret");
		assertThatThrownBy(() -> MllpTls.protocols(List.of("TLSv9"), fromJks, "s")).hasMessageContaining("s.protocols: TLSv9");
	}

	@Test
	void aCertificateIsBoundBySubjectDnOrSha256Fingerprint() {
		String fingerprint = MllpTls.fingerprint(client.certificate());
		assertThat(fingerprint).matches("([0-9A-F]{2}:){31}[0-9A-F]{2}");
		assertThat(MllpTls.CertificateBinding.parse(fingerprint, "s").matches(client.certificate())).isTrue();
		assertThat(MllpTls.CertificateBinding.parse("SHA-256:" + fingerprint.replace(":", "").toLowerCase(), "s")
				.matches(client.certificate())).isTrue();
		assertThat(MllpTls.CertificateBinding.parse(fingerprint, "s").matches(rogueClient.certificate()))
				.as("same subject, other key").isFalse();
		assertThat(MllpTls.CertificateBinding.parse("cn=unit-lab, o=unit lab", "s").matches(client.certificate())).isTrue();
		assertThat(MllpTls.CertificateBinding.parse("CN=unit-lab,O=Other Lab", "s").matches(client.certificate())).isFalse();
		assertThatThrownBy(() -> MllpTls.CertificateBinding.parse("not a name", "bonemarrow.v2.mllp.tls.certificate-senders.X"))
				.hasMessageContaining("certificate-senders.X").hasMessageContaining("neither a SHA-256 fingerprint");
	}

	@Test
	void aSenderBoundToACertificateIsBelievedOnlyFromIt_andACertificateBoundToASenderSpeaksForNoOther() {
		TestPki.Issued other = pki.leaf("CN=unit-ehr,O=Unit EHR", ca);
		V2Senders senders = senders(Map.of("LAB", "lab", "EHR", "ehr", "OPEN", "ehr"),
				Map.of("LAB", "CN=unit-lab,O=Unit Lab", "EHR", MllpTls.fingerprint(other.certificate())));
		MllpServer.Peer labCert = new MllpServer.Peer("10.0.0.1", true, client.certificate());
		MllpServer.Peer ehrCert = new MllpServer.Peer("10.0.0.2", true, other.certificate());
		MllpServer.Peer tlsNoCert = new MllpServer.Peer("10.0.0.3", true, null);
		MllpServer.Peer plain = new MllpServer.Peer("10.0.0.4", false, null);
		TestPki.Issued unbound = pki.leaf("CN=unit-unbound,O=Unit", ca);
		MllpServer.Peer unboundCert = new MllpServer.Peer("10.0.0.5", true, unbound.certificate());

		assertThat(senders.mllpSender("LAB", labCert)).map(CallerIdentity::clientId).contains("mllp:LAB");
		assertThat(senders.mllpSender("EHR", ehrCert)).map(CallerIdentity::clientId).contains("mllp:EHR");
		assertThat(senders.mllpSender("OPEN", plain)).as("an unbound sender as before").isPresent();
		assertThat(senders.mllpSender("OPEN", unboundCert)).as("with a certificate bound to no one").isPresent();
		assertThat(senders.mllpSender("NOT-CONFIGURED", labCert)).isEmpty();

		assertRefused(() -> senders.mllpSender("LAB", plain), "is not over TLS");
		assertRefused(() -> senders.mllpSender("LAB", tlsNoCert), "this connection presented none");
		assertRefused(() -> senders.mllpSender("LAB", ehrCert), "bound to another client certificate than the one this "
				+ "connection presented (subject \"CN=unit-ehr,O=Unit EHR\", SHA-256 " + MllpTls.fingerprint(other.certificate()));
		assertRefused(() -> senders.mllpSender("EHR", labCert), "bound to another client certificate");
		assertRefused(() -> senders.mllpSender("OPEN", labCert), "is bound to another sender than OPEN");
		assertThat(senders.mllpSender("LAB", new MllpServer.Peer("x", true, rogueClient.certificate())))
				.as("the lab's DN from another CA: a DN binding is only as good as the trust store, which refuses this "
						+ "certificate at the handshake (see the first test)").isPresent();
	}

	@Test
	void theOutboundClientChecksTheReceiversCertificateAndHostName() throws Exception {
		TestPki.Issued localhostOnly = pki.leaf("CN=localhost,O=Unit LIS", ca, "localhost");
		MllpServer receiver = MllpServer.start("127.0.0.1", 0, "t-receiver", MllpServer.Limits.defaults(),
				new MllpServer.Tls(pki.context(localhostOnly, ca), MllpServer.ClientAuth.NEED, new String[] {"TLSv1.3"}),
				handler());
		servers.add(receiver);
		Duration t = Duration.ofSeconds(10);
		String[] protocols = {"TLSv1.3", "TLSv1.2"};

		assertThat(new MllpTlsClient(pki.context(client, ca), protocols, true).send("localhost", receiver.port(), MSH, t, t))
				.isEqualTo("ACK|AA");
		assertThat(peers).singleElement().satisfies(p -> assertThat(p.certificate()).isEqualTo(client.certificate()));

		SSLException byAddress = catchSsl(() -> new MllpTlsClient(pki.context(client, ca), protocols, true)
				.send("127.0.0.1", receiver.port(), MSH, t, t));
		assertThat(V2OutboundSender.describe(byAddress)).isEqualTo("TLS: the certificate presented does not name the host "
				+ "connected to (hostname verification)");
		assertThat(new MllpTlsClient(pki.context(client, ca), protocols, false).send("127.0.0.1", receiver.port(), MSH, t, t))
				.as("verify-hostname: false, for an IP-only peer").isEqualTo("ACK|AA");

		SSLException untrusted = catchSsl(() -> new MllpTlsClient(pki.context(client, rogueCa), protocols, true)
				.send("localhost", receiver.port(), MSH, t, t));
		assertThat(V2OutboundSender.describe(untrusted)).isEqualTo("TLS: the certificate presented is not trusted (not "
				+ "issued by a CA in the trust store)");
		assertThat(peers).hasSize(2);
	}

	@Test
	void settingsBindAsApplicationYamlWritesThem_andAConfigurationThatCannotWorkStopsStartUp() {
		V2Properties p = bind(pairs(
				"bonemarrow.v2.mllp.senders.LAB-APP", "lab",
				"bonemarrow.v2.mllp.tls.enabled", "true",
				"bonemarrow.v2.mllp.tls.key-store", "/etc/tls/listener.p12",
				"bonemarrow.v2.mllp.tls.key-store-password", "s3cret-key",
				"bonemarrow.v2.mllp.tls.trust-store", "/etc/tls/cas.jks",
				"bonemarrow.v2.mllp.tls.trust-store-type", "JKS",
				"bonemarrow.v2.mllp.tls.client-auth", "want",
				"bonemarrow.v2.mllp.tls.certificate-senders.LAB-APP", "CN=lis.lab.example,O=Haematology Lab",
				"bonemarrow.v2.receivers[0].id", "ward-lis",
				"bonemarrow.v2.receivers[0].host", "lis.hospital.example",
				"bonemarrow.v2.receivers[0].port", "2576",
				"bonemarrow.v2.receivers[0].tls.enabled", "true"));
		V2Properties.Tls tls = p.mllp().tls();
		assertThat(p.mllp().enabled()).as("plain MLLP stays off").isFalse();
		assertThat(p.mllp().anyListener()).isTrue();
		assertThat(tls.port()).isEqualTo(2576);
		assertThat(tls.clientAuth()).isEqualTo(MllpServer.ClientAuth.WANT);
		assertThat(tls.protocols()).containsExactly("TLSv1.3", "TLSv1.2");
		assertThat(tls.certificateSenders()).containsEntry("LAB-APP", "CN=lis.lab.example,O=Haematology Lab");
		assertThat(p.toString()).doesNotContain("s3cret-key");
		V2Properties.ReceiverTls out = p.receivers().get(0).tls();
		assertThat(out.enabled()).isTrue();
		assertThat(out.verifyHostname()).isTrue();
		assertThat(bind(Map.of()).receivers()).isEmpty();
		assertThat(bind(Map.of()).mllp().tls().enabled()).isFalse();

		assertThatThrownBy(() -> bind(Map.of("bonemarrow.v2.mllp.tls.enabled", "true")))
				.hasStackTraceContaining("bonemarrow.v2.mllp.tls.key-store is needed");
		assertThatThrownBy(() -> bind(Map.of("bonemarrow.v2.mllp.tls.enabled", "true",
				"bonemarrow.v2.mllp.tls.key-store", "/k.p12")))
				.hasStackTraceContaining("trust-store is needed with client-auth need");
		assertThatThrownBy(() -> bind(Map.of("bonemarrow.v2.mllp.tls.certificate-senders.NOBODY", "CN=x")))
				.hasStackTraceContaining("certificate-senders.NOBODY: not a configured sender");
		assertThatThrownBy(() -> bind(Map.of("bonemarrow.v2.mllp.senders.LAB-APP", "lab",
				"bonemarrow.v2.mllp.tls.certificate-senders.LAB-APP", "lab.example")))
				.hasStackTraceContaining("neither a SHA-256 fingerprint");
	}

	private static Map<String, String> pairs(String... keysAndValues) {
		Map<String, String> out = new java.util.HashMap<>();
		for (int i = 0; i < keysAndValues.length; i += 2) {
			out.put(keysAndValues[i], keysAndValues[i + 1]);
		}
		return out;
	}

	private static V2Properties bind(Map<String, String> properties) {
		return new org.springframework.boot.context.properties.bind.Binder(
				new org.springframework.boot.context.properties.source.MapConfigurationPropertySource(properties))
				.bindOrCreate("bonemarrow.v2", V2Properties.class);
	}

	private interface Io {
		void run() throws Exception;
	}

	private static SSLException catchSsl(Io io) {
		try {
			io.run();
		} catch (SSLException e) {
			return e;
		} catch (Exception e) {
			throw new AssertionError("expected a TLS failure, got " + e, e);
		}
		throw new AssertionError("expected a TLS failure, the message went through");
	}

	private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String text) {
		var refused = assertThatThrownBy(call).isInstanceOfSatisfying(V2Rejection.class, r -> {
			assertThat(r.acknowledgment().name()).isEqualTo("AR");
			assertThat(r.segment()).isEqualTo("MSH");
			assertThat(r.field()).isEqualTo(3);
			assertThat(r.userMessage()).endsWith("nothing was stored");
		});
		if (text != null) {
			refused.hasMessageContaining(text);
		}
	}

	private static V2Senders senders(Map<String, String> senders, Map<String, String> bindings) {
		V2Properties.Tls tls = new V2Properties.Tls(false, 0, "", "PKCS12", "", "", "", "", "PKCS12", "",
				MllpServer.ClientAuth.NEED, List.of(), bindings);
		V2Properties.Mllp mllp = new V2Properties.Mllp(true, "127.0.0.1", 0, senders, DataSize.ofMegabytes(5), 50,
				DataSize.ofMegabytes(20), Duration.ofSeconds(60), List.of(), tls);
		MockEnvironment env = new MockEnvironment()
				.withProperty("bonemarrow.security.roles.lab", "system/DiagnosticReport.c")
				.withProperty("bonemarrow.security.roles.ehr", "system/ServiceRequest.cu");
		return new V2Senders(new V2Properties("A", "F", null, mllp, null, null, null), env);
	}

	private MllpServer.Handler handler() {
		return new MllpServer.Handler() {
			@Override
			public String answer(String message, MllpServer.Peer peer) {
				peers.add(peer);
				return "ACK|AA";
			}

			@Override
			public String refuse(String head, MllpFrameReader.Overflow why, MllpServer.Peer peer) {
				return null;
			}
		};
	}

	private static ListAppender<ILoggingEvent> capture() {
		Logger logger = (Logger) LoggerFactory.getLogger(MllpServer.class);
		ListAppender<ILoggingEvent> appender = new ListAppender<>();
		appender.start();
		logger.addAppender(appender);
		return appender;
	}

	private static void stopCapture(ListAppender<ILoggingEvent> appender) {
		((Logger) LoggerFactory.getLogger(MllpServer.class)).detachAppender(appender);
	}

	private static List<String> warnings(ListAppender<ILoggingEvent> log) {
		org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
				.until(() -> log.list.stream().anyMatch(e -> e.getLevel() == Level.WARN));
		return log.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
	}
}

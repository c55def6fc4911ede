package org.bonemarrow.server.v2;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made at test time (nothing private is committed): CAs and leaf certificates with
 * P-256 keys, valid from an hour ago for a day, leaves naming {@code localhost} and {@code 127.0.0.1} as
 * their subject alternative names, written as PKCS12 or JKS files the server reads like a site's. BouncyCastle
 * only builds and signs the certificates (the JDK's own providers do the rest, as in production).
 */
final class TestPki {

	/** One key and its certificate chain (leaf first). */
	record Issued(String name, KeyPair keys, List<X509Certificate> chain) {
		X509Certificate certificate() {
			return chain.get(0);
		}
	}

	private static TestPki shared;
	private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

	/** Password of every store written (random per run, so no test depends on a known one). */
	final String password = "pki-" + UUID.randomUUID();
	final Path dir;

	TestPki(Path dir) {
		try {
			this.dir = Files.createDirectories(dir);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	/** The test JVM's PKI, under target/test-pki/&lt;random&gt;. */
	static synchronized TestPki shared() {
		if (shared == null) {
			shared = new TestPki(Path.of("target", "test-pki", UUID.randomUUID().toString().substring(0, 8)));
		}
		return shared;
	}

	/** A self-signed CA. */
	Issued ca(String name) {
		KeyPair keys = keyPair();
		X500Principal subject = new X500Principal("CN=" + name + ",O=Bone Marrow Test PKI");
		return new Issued(name, keys, List.of(sign(subject, keys, subject, keys, true)));
	}

	/** A certificate for TLS servers and clients, signed by the issuer, naming localhost and 127.0.0.1. */
	Issued leaf(String subjectDn, Issued issuer) {
		return leaf(subjectDn, issuer, "localhost", "127.0.0.1");
	}

	/** The same naming these hosts (DNS names or IPv4 addresses) as its subject alternative names. */
	Issued leaf(String subjectDn, Issued issuer, String... hosts) {
		KeyPair keys = keyPair();
		X509Certificate cert = sign(new X500Principal(subjectDn), keys, issuer.certificate().getSubjectX500Principal(),
				issuer.keys(), false, hosts);
		List<X509Certificate> chain = new ArrayList<>();
		chain.add(cert);
		chain.addAll(issuer.chain());
		return new Issued(subjectDn, keys, List.copyOf(chain));
	}

	/** A key store file (PKCS12 or JKS) holding this key and chain under the alias {@code key}. */
	Path keyStore(Issued who, String file, String type) {
		try {
			KeyStore ks = KeyStore.getInstance(type);
			ks.load(null, null);
			ks.setKeyEntry("key", who.keys().getPrivate(), password.toCharArray(), who.chain().toArray(Certificate[]::new));
			return write(ks, file);
		} catch (GeneralSecurityException | IOException e) {
			throw new IllegalStateException(e);
		}
	}

	/** A trust store file holding these CA certificates. */
	Path trustStore(String file, String type, Issued... cas) {
		try {
			return write(trust(type, cas), file);
		} catch (GeneralSecurityException | IOException e) {
			throw new IllegalStateException(e);
		}
	}

	/** An SSL context presenting {@code key} (null: no certificate) and trusting these CAs. */
	SSLContext context(Issued key, Issued... trusted) {
		try {
			KeyManagerFactory kmf = null;
			if (key != null) {
				KeyStore ks = KeyStore.getInstance("PKCS12");
				ks.load(null, null);
				ks.setKeyEntry("key", key.keys().getPrivate(), password.toCharArray(), key.chain().toArray(Certificate[]::new));
				kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
				kmf.init(ks, password.toCharArray());
			}
			TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
			tmf.init(trust("PKCS12", trusted));
			SSLContext context = SSLContext.getInstance("TLS");
			context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
			return context;
		} catch (GeneralSecurityException | IOException e) {
			throw new IllegalStateException(e);
		}
	}

	private static KeyStore trust(String type, Issued... cas) throws GeneralSecurityException, IOException {
		KeyStore ks = KeyStore.getInstance(type);
		ks.load(null, null);
		for (Issued ca : cas) {
			ks.setCertificateEntry(ca.name(), ca.certificate());
		}
		return ks;
	}

	private Path write(KeyStore ks, String file) throws GeneralSecurityException, IOException {
		Path path = dir.resolve(file);
		try (OutputStream out = Files.newOutputStream(path)) {
			ks.store(out, password.toCharArray());
		}
		return path;
	}

	private static KeyPair keyPair() {
		try {
			KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
			g.initialize(new ECGenParameterSpec("secp256r1"));
			return g.generateKeyPair();
		} catch (GeneralSecurityException e) {
			throw new IllegalStateException(e);
		}
	}

	private static X509Certificate sign(X500Principal subject, KeyPair subjectKeys, X500Principal issuer,
			KeyPair issuerKeys, boolean ca, String... hosts) {
		try {
			Instant now = Instant.now();
			JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
					Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), subject,
					subjectKeys.getPublic());
			b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
			if (ca) {
				b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
			} else {
				b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
				b.addExtension(Extension.extendedKeyUsage, false,
						new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
				b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(java.util.Arrays.stream(hosts)
						.map(h -> new GeneralName(h.matches("[0-9.]+") ? GeneralName.iPAddress : GeneralName.dNSName, h))
						.toArray(GeneralName[]::new)));
			}
			return new JcaX509CertificateConverter().getCertificate(
					b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
		} catch (Exception e) {
			throw new IllegalStateException("could not make a test certificate", e);
		}
	}
}

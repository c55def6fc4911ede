package org.bonemarrow.server.v2;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.security.auth.x500.X500Principal;

/**
 * MLLP over TLS (JSSE), the parts the listener and the outbound sender share: an {@link SSLContext} from key and
 * trust store files (PKCS12 or JKS), the protocols, how a certificate is named in configuration (subject DN or
 * SHA-256 fingerprint) and in logs, and what a failed handshake says. HL7 v2 itself defines no transport
 * security; MLLP over TLS ("MLLPS") is plain MLLP framing inside a TLS connection, as HAPI's own TLS client
 * and server speak it. Store passwords appear in no message this class makes.
 */
public final class MllpTls {

	public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
	private static final Set<String> STORE_TYPES = Set.of("PKCS12", "JKS");

	private MllpTls() {}

	/**
	 * Where the keys and trusted certificates are.
	 *
	 * @param keyStore           key store file with this side's private key and certificate chain; blank: none
	 *                           (an outbound connection without a client certificate)
	 * @param keyStoreType       PKCS12 or JKS
	 * @param keyStorePassword   the key store's password
	 * @param keyPassword        the key's own password; blank: the key store's
	 * @param keyAlias           which key of the store; blank: the store must hold exactly one
	 * @param trustStore         trust store file: the CA (or peer) certificates accepted from the other side;
	 *                           blank: the JDK's default CAs
	 * @param trustStoreType     PKCS12 or JKS
	 * @param trustStorePassword the trust store's password (may be blank for a PKCS12 with certificates only)
	 */
	public record Stores(String keyStore, String keyStoreType, String keyStorePassword, String keyPassword,
			String keyAlias, String trustStore, String trustStoreType, String trustStorePassword) {

		public Stores {
			keyStore = trim(keyStore);
			keyStoreType = type(keyStoreType);
			keyPassword = trim(keyPassword);
			keyAlias = trim(keyAlias);
			trustStore = trim(trustStore);
			trustStoreType = type(trustStoreType);
		}

		/** Passwords masked: a record's toString would otherwise print them into any log or error that shows it. */
		@Override
		public String toString() {
			return "Stores[keyStore=" + keyStore + " (" + keyStoreType + "), keyAlias=" + keyAlias + ", trustStore="
					+ trustStore + " (" + trustStoreType + "), passwords=****]";
		}
	}

	/**
	 * The TLS context of one side, read once (at start-up: a changed certificate takes a restart).
	 *
	 * @param setting the settings' prefix, named in error messages (e.g. {@code bonemarrow.v2.mllp.tls})
	 * @throws IllegalStateException naming the setting and the file when a store cannot be read or holds no
	 *                               usable key (never the password)
	 */
	public static SSLContext context(Stores stores, String setting) {
		try {
			KeyManager[] keys = null;
			if (!stores.keyStore().isEmpty()) {
				KeyStore ks = load(stores.keyStore(), stores.keyStoreType(), stores.keyStorePassword(), setting + ".key-store");
				char[] keyPassword = password(stores.keyPassword().isEmpty() ? stores.keyStorePassword() : stores.keyPassword());
				KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
				kmf.init(oneKey(ks, stores.keyAlias(), keyPassword, setting), keyPassword);
				keys = kmf.getKeyManagers();
			}
			TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
			tmf.init(stores.trustStore().isEmpty() ? null
					: load(stores.trustStore(), stores.trustStoreType(), stores.trustStorePassword(), setting + ".trust-store"));
			TrustManager[] trust = tmf.getTrustManagers();
			SSLContext context = SSLContext.getInstance("TLS");
			context.init(keys, trust, null);
			return context;
		} catch (GeneralSecurityException e) {
			throw new IllegalStateException(setting + ": the TLS keys could not be used (" + e.getClass().getSimpleName()
					+ ": " + e.getMessage() + ")", e);
		}
	}

	/** The protocols asked for, each checked against what the JDK supports (start-up fails on a typo). */
	public static String[] protocols(List<String> wanted, SSLContext context, String setting) {
		List<String> supported = Arrays.asList(context.getSupportedSSLParameters().getProtocols());
		List<String> out = new ArrayList<>();
		for (String p : wanted == null || wanted.isEmpty() ? DEFAULT_PROTOCOLS : wanted) {
			String protocol = p.trim();
			if (!supported.contains(protocol)) {
				throw new IllegalStateException(setting + ".protocols: " + protocol + " is not a TLS protocol this JDK offers "
						+ supported);
			}
			out.add(protocol);
		}
		return out.toArray(String[]::new);
	}

	/** SHA-256 of the certificate's DER encoding, as upper-case hex pairs separated by colons (as keytool prints it). */
	public static String fingerprint(X509Certificate certificate) {
		try {
			byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
			return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
		} catch (NoSuchAlgorithmException | CertificateEncodingException e) {
			throw new IllegalStateException("SHA-256 fingerprint of a certificate", e);
		}
	}

	/** A certificate for logs and ACK texts: its subject and fingerprint (no patient data in either). */
	public static String describe(X509Certificate certificate) {
		return "subject \"" + certificate.getSubjectX500Principal().getName() + "\", SHA-256 " + fingerprint(certificate);
	}

	/**
	 * Which certificate a sender is bound to ({@code bonemarrow.v2.mllp.tls.certificate-senders.<MSH-3>}): a
	 * SHA-256 fingerprint (64 hex digits, colons and an {@code SHA-256:} prefix allowed), which names one
	 * certificate, or a subject distinguished name (RFC 4514, e.g. {@code CN=lis.lab.example,O=Lab}), which
	 * survives a renewal by the same CA and is compared as X.500 names are (case and spacing do not matter).
	 */
	public record CertificateBinding(String fingerprint, X500Principal subject) {

		public static CertificateBinding parse(String value, String setting) {
			String v = value == null ? "" : value.trim();
			String hex = v.replaceFirst("(?i)^sha-?256:", "").replaceAll("[:\\s]", "");
			if (hex.matches("[0-9A-Fa-f]{64}")) {
				return new CertificateBinding(hex.toUpperCase(Locale.ROOT), null);
			}
			try {
				if (v.isEmpty()) {
					throw new IllegalArgumentException("empty");
				}
				return new CertificateBinding(null, new X500Principal(v));
			} catch (IllegalArgumentException e) {
				throw new IllegalArgumentException(setting + ": '" + v + "' is neither a SHA-256 fingerprint (64 hex "
						+ "digits) nor a certificate subject DN (e.g. CN=lis.lab.example,O=Lab)", e);
			}
		}

		public boolean matches(X509Certificate certificate) {
			if (fingerprint != null) {
				return fingerprint.equals(MllpTls.fingerprint(certificate).replace(":", ""));
			}
			return subject.equals(certificate.getSubjectX500Principal());
		}
	}

	/**
	 * Why a handshake failed, in words for an operator: no certificate, an untrusted or expired one, a
	 * certificate for another host, no protocol in common, or no TLS at all (plain MLLP to a TLS port, or the
	 * reverse). Handshakes carry no message, so nothing here can be patient data.
	 */
	public static String handshakeFailure(Throwable failure) {
		for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
			if (t instanceof CertificateExpiredException) {
				return "the certificate presented has expired";
			}
			if (t instanceof CertificateNotYetValidException) {
				return "the certificate presented is not valid yet";
			}
		}
		String text = String.valueOf(failure.getMessage());
		for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
			String m = String.valueOf(t.getMessage());
			if (m.contains("No subject alternative") || m.contains("No name matching")) {
				return "the certificate presented does not name the host connected to (hostname verification)";
			}
			if (t instanceof CertPathBuilderException || t instanceof CertPathValidatorException || m.contains("PKIX path")) {
				return "the certificate presented is not trusted (not issued by a CA in the trust store)";
			}
		}
		if (text.contains("Empty client certificate chain") || text.contains("certificate_required")) {
			return "no client certificate was presented, and the listener requires one (client-auth: need)";
		}
		if (text.contains("Unsupported or unrecognized SSL message") || text.contains("plaintext connection")) {
			return "the other side does not speak TLS (plain MLLP sent to a TLS port, or TLS to a plain one)";
		}
		if (text.contains("protocol_version") || text.contains("No appropriate protocol")
				|| text.contains("Client requested protocol") || text.contains("not supported or enabled")) {
			return "no TLS protocol in common (see the protocols setting)";
		}
		if (text.contains("Received fatal alert")) {
			return "the other side refused the handshake (" + text.substring(text.indexOf("Received fatal alert")) + ")";
		}
		if (text.contains("Remote host terminated") || text.contains("Connection reset")) {
			return "the other side closed the connection during the handshake";
		}
		String shortText = text.length() > 200 ? text.substring(0, 200) : text;
		return failure.getClass().getSimpleName() + ": " + shortText;
	}

	private static KeyStore load(String path, String type, String password, String setting) {
		Path file = Path.of(path);
		if (!Files.isReadable(file)) {
			throw new IllegalStateException(setting + ": " + path + " is not a readable file");
		}
		try (InputStream in = Files.newInputStream(file)) {
			KeyStore ks = KeyStore.getInstance(type);
			ks.load(in, password(password));
			return ks;
		} catch (IOException | GeneralSecurityException e) {
			// The JDK says "keystore password was incorrect" or what it could not parse; never the password.
			throw new IllegalStateException(setting + ": " + path + " could not be read as " + type
					+ " (wrong password or type, or not a key store): " + e.getMessage(), e);
		}
	}

	/** The store reduced to the one key to present, so that JSSE cannot pick another. */
	private static KeyStore oneKey(KeyStore ks, String alias, char[] keyPassword, String setting)
			throws GeneralSecurityException {
		List<String> keys = new ArrayList<>();
		for (String a : Collections.list(ks.aliases())) {
			if (ks.isKeyEntry(a)) {
				keys.add(a);
			}
		}
		String chosen;
		if (!alias.isEmpty()) {
			if (!keys.contains(alias)) {
				throw new IllegalStateException(setting + ".key-alias: the key store has no key named '" + alias + "' (keys: "
						+ keys + ")");
			}
			chosen = alias;
		} else if (keys.size() == 1) {
			chosen = keys.get(0);
		} else {
			throw new IllegalStateException(setting + ".key-store: " + (keys.isEmpty() ? "holds no private key"
					: "holds " + keys.size() + " keys " + keys + "; name one with key-alias"));
		}
		KeyStore one = KeyStore.getInstance("PKCS12");
		try {
			one.load(null, null);
		} catch (IOException e) {
			throw new IllegalStateException(e);
		}
		try {
			one.setKeyEntry(chosen, ks.getKey(chosen, keyPassword), keyPassword, ks.getCertificateChain(chosen));
		} catch (java.security.UnrecoverableKeyException e) {
			throw new IllegalStateException(setting + ".key-password: the key '" + chosen + "' could not be read with it", e);
		}
		return one;
	}

	private static char[] password(String password) {
		return password == null ? new char[0] : password.toCharArray();
	}

	private static String trim(String s) {
		return s == null ? "" : s.trim();
	}

	private static String type(String type) {
		String t = type == null || type.isBlank() ? "PKCS12" : type.trim().toUpperCase(Locale.ROOT);
		if (!STORE_TYPES.contains(t)) {
			throw new IllegalArgumentException("TLS store type " + type + " is not supported: PKCS12 or JKS");
		}
		return t;
	}
}

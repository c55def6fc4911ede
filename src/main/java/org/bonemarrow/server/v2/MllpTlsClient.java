package org.bonemarrow.server.v2;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One HL7 v2 message out over MLLP inside TLS and its ACK back, on a connection of its own (connect, handshake,
 * frame, ACK, close). Not HAPI's client with a TLS socket factory: HAPI hands an unconnected socket to a reader
 * thread and a writer, so a failed handshake shows up as whichever of them hits it first, often as "no ACK in
 * time" after the whole timeout; here the handshake runs first, on its own, and its failure is the attempt's
 * outcome (an untrusted receiver certificate is a failed delivery the outbox retries, saying why). The ACK is
 * read with the listener's bounded frame reader: a receiver cannot make this server hold an unbounded answer.
 */
final class MllpTlsClient {

	/** An ACK is a few hundred bytes; a receiver answering megabytes is not answering. */
	static final int MAX_ACK_BYTES = 1024 * 1024;

	private final SSLContext context;
	private final String[] protocols;
	private final boolean verifyHostname;

	/**
	 * @param verifyHostname the receiver's certificate must name the host connected to (RFC 2818 rules, as for
	 *                       HTTPS: a DNS name or an IP address among its subject alternative names)
	 */
	MllpTlsClient(SSLContext context, String[] protocols, boolean verifyHostname) {
		this.context = context;
		this.protocols = protocols.clone();
		this.verifyHostname = verifyHostname;
	}

	/**
	 * @return the ACK (ER7) the receiver answered
	 * @throws javax.net.ssl.SSLException the handshake failed (untrusted or wrong certificate, no protocol in common)
	 * @throws IOException                no connection, or no answer frame before {@code ackTimeout}
	 */
	String send(String host, int port, String er7, Duration connectTimeout, Duration ackTimeout) throws IOException {
		Socket raw = new Socket();
		try {
			raw.connect(new InetSocketAddress(host, port), (int) connectTimeout.toMillis());
			raw.setTcpNoDelay(true);
			try (SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(raw, host, port, true)) {
				SSLParameters parameters = ssl.getSSLParameters();
				parameters.setProtocols(protocols);
				if (verifyHostname) {
					parameters.setEndpointIdentificationAlgorithm("HTTPS");
				}
				ssl.setSSLParameters(parameters);
				ssl.setSoTimeout((int) Math.min(ackTimeout.toMillis(), Integer.MAX_VALUE));
				ssl.startHandshake();
				OutputStream out = ssl.getOutputStream();
				out.write(MllpFrameReader.frame(er7));
				out.flush();
				MllpFrameReader reader = new MllpFrameReader(ssl.getInputStream(), MAX_ACK_BYTES, 1000,
						new Semaphore(MAX_ACK_BYTES), ackTimeout);
				if (reader.next() instanceof MllpFrameReader.Frame ack) {
					return ack.message();
				}
				throw new IOException("the receiver closed the connection without an ACK frame");
			}
		} finally {
			raw.close();
		}
	}
}

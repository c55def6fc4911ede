package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import javax.net.ssl.SSLContext;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The MLLP transport: HL7 v2 over TCP with MLLP framing, on {@code bonemarrow.v2.mllp.bind-address}:
 * {@code port} (default 127.0.0.1:2575, off unless {@code bonemarrow.v2.mllp.enabled=true}), and MLLP over TLS
 * on {@code tls.port} (default 2576, off unless {@code bonemarrow.v2.mllp.tls.enabled=true}); either, or both
 * at once (a site moving its senders to TLS one by one). Each message is answered with its ACK on the same
 * connection; the sender is its MSH-3, which must be configured, and matches the client certificate when it
 * is bound to one ({@link V2Senders}). Started after the rest of the server (its last lifecycle phase),
 * stopped first.
 * The transport and its limits (message size and segments, connections, idle time, allowed peers) are
 * {@link MllpServer}'s; a frame over a limit is answered AR from its MSH, when its first bytes have one.
 */
@Component
@ConditionalOnExpression("${bonemarrow.v2.mllp.enabled:false} or ${bonemarrow.v2.mllp.tls.enabled:false}")
public class V2MllpListener implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(V2MllpListener.class);

	/** Prefix of the listener's thread names: {@code v2-mllp-accept}, {@code v2-mllp-1}, ... */
	public static final String THREAD_NAME = "v2-mllp";
	/** The same for the TLS listener: {@code v2-mllps-accept}, {@code v2-mllps-1}, ... */
	public static final String TLS_THREAD_NAME = "v2-mllps";

	private final V2Properties properties;
	private final V2InboundProcessor processor;
	private final V2Senders senders;
	private volatile MllpServer server;
	private volatile MllpServer tlsServer;

	public V2MllpListener(V2Properties properties, V2InboundProcessor processor, V2Senders senders) {
		this.properties = properties;
		this.processor = processor;
		this.senders = senders;
	}

	@Override
	public synchronized void start() {
		if (isRunning()) {
			return;
		}
		V2Properties.Mllp mllp = properties.mllp();
		V2Properties.Tls tls = mllp.tls();
		// The TLS keys first: a wrong path or password stops start-up before anything listens.
		MllpServer.Tls tlsConfig = null;
		if (tls.enabled()) {
			SSLContext context = MllpTls.context(tls.stores(), "bonemarrow.v2.mllp.tls");
			tlsConfig = new MllpServer.Tls(context, tls.clientAuth(),
					MllpTls.protocols(tls.protocols(), context, "bonemarrow.v2.mllp.tls"));
		}
		if (mllp.enabled()) {
			server = MllpServer.start(mllp.bindAddress(), mllp.port(), THREAD_NAME, mllp.limits(properties.limits()),
					new Handler());
			log.info("HL7 v2 MLLP listener on {}:{} ({} configured senders, {} allowed peers, at most {} connections, "
					+ "{} bytes and {} segments per message)", mllp.bindAddress(), server.port(), mllp.senders().size(),
					mllp.allowedPeers().isEmpty() ? "any" : mllp.allowedPeers().size(), mllp.maxConnections(),
					mllp.maxMessageSize().toBytes(), properties.limits().maxSegments());
		}
		if (tlsConfig != null) {
			try {
				tlsServer = MllpServer.start(mllp.bindAddress(), tls.port(), TLS_THREAD_NAME,
						mllp.limits(properties.limits()), tlsConfig, new Handler());
			} catch (RuntimeException e) {
				stop();
				throw e;
			}
			log.info("HL7 v2 MLLP over TLS listener on {}:{} ({}, client certificates: {}, {} senders bound to a "
					+ "certificate, {} allowed peers, at most {} connections)", mllp.bindAddress(), tlsServer.port(),
					String.join(",", tlsConfig.protocols()), tls.clientAuth().name().toLowerCase(),
					tls.certificateSenders().size(), mllp.allowedPeers().isEmpty() ? "any" : mllp.allowedPeers().size(),
					mllp.maxConnections());
		}
	}

	@Override
	public synchronized void stop() {
		if (server != null) {
			server.close();
			server = null;
		}
		if (tlsServer != null) {
			tlsServer.close();
			tlsServer = null;
		}
	}

	@Override
	public boolean isRunning() {
		return server != null || tlsServer != null;
	}

	/** After the web server, so that the database and the FHIR endpoint are ready when messages arrive. */
	@Override
	public int getPhase() {
		return Integer.MAX_VALUE - 100;
	}

	/** The bound port (tests listen on port 0). */
	public int port() {
		MllpServer s = server;
		if (s == null) {
			throw new IllegalStateException("The MLLP listener is not running");
		}
		return s.port();
	}

	/** The bound port of the MLLP over TLS listener. */
	public int tlsPort() {
		MllpServer s = tlsServer;
		if (s == null) {
			throw new IllegalStateException("The MLLP over TLS listener is not running");
		}
		return s.port();
	}

	/** The running transport (tests look at its connections and threads). */
	MllpServer server() {
		MllpServer s = server;
		if (s == null) {
			throw new IllegalStateException("The MLLP listener is not running");
		}
		return s;
	}

	/**
	 * Messages to the processor, as the sender named by MSH-3 over this connection (and its certificate);
	 * refused frames to an AR from their MSH.
	 */
	private final class Handler implements MllpServer.Handler {
		@Override
		public String answer(String message, MllpServer.Peer peer) {
			return processor.process(message, header -> senders.mllpSender(header.sendingApplication(), peer)).ack();
		}

		@Override
		public String refuse(String head, MllpFrameReader.Overflow why, MllpServer.Peer peer) {
			V2Properties.Mllp mllp = properties.mllp();
			String reason = switch (why) {
				case SIZE -> "The message is larger than this listener's limit of " + mllp.maxMessageSize().toBytes()
						+ " bytes (bonemarrow.v2.mllp.max-message-size)";
				case SEGMENTS -> "The message has more than this server's limit of " + properties.limits().maxSegments()
						+ " segments (bonemarrow.v2.limits.max-segments)";
				case BUSY -> "The listener is holding as many large messages as it may (bonemarrow.v2.mllp.max-total-size); "
						+ "send the message again later";
			};
			return processor.refuseUnread(head, V2Rejection.reject(ErrorCode.APPLICATION_INTERNAL_ERROR, null, 0,
					reason + "; it was not read, and nothing was stored"),
					header -> senders.mllpSender(header.sendingApplication(), peer))
					.map(V2InboundProcessor.Result::ack).orElse(null);
		}
	}
}

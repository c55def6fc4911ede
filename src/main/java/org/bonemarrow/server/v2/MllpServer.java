package org.bonemarrow.server.v2;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.web.util.matcher.IpAddressMatcher;

/**
 * An MLLP listener with limits: a {@link ServerSocket} (or an {@link SSLServerSocket}, below), one acceptor thread, a fixed pool of at most
 * {@code maxConnections} connection threads and a bounded frame reader ({@link MllpFrameReader}). Messages
 * are still parsed and answered by HAPI's v2 library, behind the {@link Handler}; only the transport is ours.
 *
 * <p>Why not HAPI's own server ({@code HapiContext.newServer}, a SimpleServer with MinLowerLayerProtocol),
 * which this class used to wrap: its acceptor takes every connection into an unbounded queue and starts a
 * Receiver task per connection (one thread each on any executor that does not refuse work, and a refused
 * task leaves an accepted socket nobody serves); its Receiver treats a read timeout as "keep waiting", so an
 * idle connection holds its thread for ever; and its MLLP decoder collects a frame into an unbounded buffer
 * until the end byte arrives, with no hook to stop early. A custom LowerLayerProtocol could bound the frame,
 * but not the connections, threads and idle time, which is what a red-team probe used to take the server down
 * (40 MB frames exhausted the heap; 1,000 idle connections made ~940 threads). Here:
 * <ul>
 *   <li>a connection from an address outside {@code allowedPeers} is closed before anything is read;</li>
 *   <li>a connection beyond {@code maxConnections} is closed as soon as it is accepted, so threads never
 *       exceed the pool (plus the acceptor);</li>
 *   <li>a connection that sends nothing for {@code idleTimeout} is closed;</li>
 *   <li>a frame over {@code maxMessageBytes} or {@code maxSegments} is cut off while it is read, its rest
 *       discarded, the {@link Handler#refuse refusal} written and the connection closed.</li>
 * </ul>
 * Nothing a connection does reaches another one or the HTTP side, other than its bounded share of memory
 * and of the pool.
 *
 * <p>With {@link Tls} the socket is an {@link SSLServerSocket} (MLLP framing inside TLS, "MLLPS"): the handshake
 * runs on the connection's pool thread under the same idle timeout, and its client certificate, if any, goes
 * to the handler with every message ({@link Peer}). A failed handshake (no certificate when one is needed, an
 * untrusted one, plain MLLP sent to this port) closes that connection, is logged without anything the peer
 * sent, and touches nothing else.
 */
public final class MllpServer implements AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(MllpServer.class);
	private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);
	private static final long HANDSHAKE_WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

	/**
	 * @param maxMessageBytes largest frame read whole
	 * @param maxSegments     most segments in a frame
	 * @param maxConnections  most connections (and connection threads) at once
	 * @param maxTotalBytes   what all frames together hold beyond their first 64 KB each
	 * @param idleTimeout     a connection silent for this long is closed
	 * @param allowedPeers    IP addresses or CIDR ranges that may connect; empty: any
	 */
	public record Limits(int maxMessageBytes, int maxSegments, int maxConnections, long maxTotalBytes,
			Duration idleTimeout, List<String> allowedPeers) {

		public Limits {
			allowedPeers = allowedPeers == null ? List.of() : List.copyOf(allowedPeers);
		}

		/** The application's defaults (5 MB, 5000 segments, 50 connections, 20 MB in all, 60 s, any peer). */
		public static Limits defaults() {
			return new Limits(5 * 1024 * 1024, 5000, 50, 20L * 1024 * 1024, Duration.ofSeconds(60), List.of());
		}
	}

	/** Whether a TLS listener asks for a client certificate: not at all, if the client has one, or always. */
	public enum ClientAuth { NONE, WANT, NEED }

	/**
	 * MLLP over TLS.
	 *
	 * @param context    keys and trusted certificates ({@link MllpTls#context})
	 * @param clientAuth whether a client certificate is asked for
	 * @param protocols  TLS protocols offered (e.g. TLSv1.3, TLSv1.2)
	 */
	public record Tls(SSLContext context, ClientAuth clientAuth, String[] protocols) {}

	/**
	 * Who is on the other end of a connection, as far as the transport knows.
	 *
	 * @param address     the peer's IP address
	 * @param tls         whether the connection is over TLS
	 * @param certificate the client certificate the peer presented and the trust store accepted; null without TLS
	 *                    or when the client presented none ({@link ClientAuth#WANT})
	 */
	public record Peer(String address, boolean tls, X509Certificate certificate) {}

	/** What the listener does with what it reads. Called on the connection's thread. */
	public interface Handler {

		/** The ACK (ER7) for a whole message from this peer. */
		String answer(String message, Peer peer);

		/**
		 * The answer to a frame that was not read whole, or null to close the connection without one.
		 *
		 * @param head the frame's first bytes, at most 64 KB (its MSH, if it has one)
		 * @param why  which limit it went over
		 */
		String refuse(String head, MllpFrameReader.Overflow why, Peer peer);
	}

	private final ServerSocket serverSocket;
	private final Limits limits;
	private final Handler handler;
	private final List<IpAddressMatcher> allowed;
	private final Semaphore connections;
	private final Semaphore budget;
	private final ThreadPoolExecutor pool;
	private final Thread acceptor;
	private final Set<Socket> open = ConcurrentHashMap.newKeySet();
	private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);
	private final AtomicInteger turnedAway = new AtomicInteger();
	private final AtomicLong lastHandshakeWarning = new AtomicLong(System.nanoTime() - HANDSHAKE_WARN_EVERY_NANOS);
	private final AtomicInteger failedHandshakes = new AtomicInteger();
	private volatile boolean closed;

	private MllpServer(ServerSocket serverSocket, String threadName, Limits limits, Handler handler) {
		this.serverSocket = serverSocket;
		this.limits = limits;
		this.handler = handler;
		this.allowed = limits.allowedPeers().stream().map(MllpServer::peerMatcher).toList();
		this.connections = new Semaphore(limits.maxConnections());
		this.budget = new Semaphore((int) Math.min(limits.maxTotalBytes(), Integer.MAX_VALUE));
		AtomicInteger n = new AtomicInteger();
		// Core = max, threads made only when needed and let go when idle: never more than maxConnections.
		this.pool = new ThreadPoolExecutor(limits.maxConnections(), limits.maxConnections(), 30, TimeUnit.SECONDS,
				new LinkedBlockingQueue<>(), r -> daemon(r, threadName + "-" + n.incrementAndGet()));
		this.pool.allowCoreThreadTimeOut(true);
		this.acceptor = daemon(this::acceptLoop, threadName + "-accept");
	}

	/**
	 * Binds and starts listening.
	 *
	 * @param bindAddress local address to listen on, e.g. 127.0.0.1
	 * @param port        TCP port, 0 for a free one
	 * @param threadName  prefix of the listener's thread names ({@code -accept}, {@code -1}, {@code -2}, ...)
	 */
	public static MllpServer start(String bindAddress, int port, String threadName, Limits limits, Handler handler) {
		return start(bindAddress, port, threadName, limits, null, handler);
	}

	/**
	 * Binds and starts listening, over TLS when {@code tls} is given.
	 *
	 * @param tls null: plain MLLP
	 */
	public static MllpServer start(String bindAddress, int port, String threadName, Limits limits, Tls tls,
			Handler handler) {
		ServerSocket socket = null;
		try {
			socket = tls == null ? new ServerSocket() : tlsServerSocket(tls);
			socket.setReuseAddress(true);
			socket.bind(new InetSocketAddress(InetAddress.getByName(bindAddress), port), 50);
			MllpServer server = new MllpServer(socket, threadName, limits, handler);
			server.acceptor.start();
			return server;
		} catch (IOException e) {
			closeQuietly(socket);
			throw new IllegalStateException("MLLP listener could not listen on " + bindAddress + ":" + port, e);
		} catch (RuntimeException e) {
			closeQuietly(socket);
			throw e;
		}
	}

	private static SSLServerSocket tlsServerSocket(Tls tls) throws IOException {
		SSLServerSocket socket = (SSLServerSocket) tls.context().getServerSocketFactory().createServerSocket();
		SSLParameters parameters = tls.context().getDefaultSSLParameters();
		parameters.setProtocols(tls.protocols());
		switch (tls.clientAuth()) {
			case NEED -> parameters.setNeedClientAuth(true);
			case WANT -> parameters.setWantClientAuth(true);
			case NONE -> parameters.setNeedClientAuth(false);
		}
		socket.setSSLParameters(parameters);
		return socket;
	}

	/** A matcher for one {@code allowedPeers} entry; refuses host names (no DNS at connection time). */
	static IpAddressMatcher peerMatcher(String peer) {
		try {
			return new IpAddressMatcher(peer.trim());
		} catch (IllegalArgumentException e) {
			throw new IllegalArgumentException("bonemarrow.v2.mllp.allowed-peers: '" + peer
					+ "' is not an IP address or CIDR range (host names are not accepted)", e);
		}
	}

	/** The port the listener is bound to (the configured one, or the one picked for port 0). */
	public int port() {
		return serverSocket.getLocalPort();
	}

	/** Connections being served now. */
	public int openConnections() {
		return open.size();
	}

	/** Connection threads alive now (at most {@code maxConnections}). */
	public int connectionThreads() {
		return pool.getPoolSize();
	}

	@Override
	public void close() {
		closed = true;
		closeQuietly(serverSocket);
		try {
			acceptor.join(5_000);
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
		open.forEach(MllpServer::closeQuietly);
		pool.shutdownNow();
		try {
			pool.awaitTermination(5, TimeUnit.SECONDS);
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
	}

	private void acceptLoop() {
		while (!closed) {
			Socket socket;
			try {
				socket = serverSocket.accept();
			} catch (IOException e) {
				if (closed) {
					return;
				}
				// e.g. out of file descriptors: wait a moment instead of spinning on the error
				log.warn("MLLP listener on port {}: accept failed ({})", port(), e.getClass().getSimpleName());
				pause();
				continue;
			}
			String peer = socket.getInetAddress().getHostAddress();
			if (!allowed.isEmpty() && allowed.stream().noneMatch(m -> m.matches(peer))) {
				closeQuietly(socket);
				turnedAway("a connection from an address not in allowed-peers");
				continue;
			}
			if (!connections.tryAcquire()) {
				closeQuietly(socket);
				turnedAway("a connection over max-connections (" + limits.maxConnections() + ")");
				continue;
			}
			open.add(socket);
			try {
				pool.execute(() -> serve(socket));
			} catch (RejectedExecutionException e) {
				open.remove(socket);
				connections.release();
				closeQuietly(socket);
			}
		}
	}

	private void serve(Socket socket) {
		String peer = socket.getInetAddress().getHostAddress();
		try (socket) {
			socket.setSoTimeout((int) Math.min(limits.idleTimeout().toMillis(), Integer.MAX_VALUE));
			socket.setTcpNoDelay(true);
			Peer from = handshake(socket, peer);
			if (from == null) {
				return;
			}
			MllpFrameReader reader = new MllpFrameReader(socket.getInputStream(), limits.maxMessageBytes(),
					limits.maxSegments(), budget, limits.idleTimeout());
			OutputStream out = new BufferedOutputStream(socket.getOutputStream());
			while (!closed) {
				MllpFrameReader.Read read = reader.next();
				if (read instanceof MllpFrameReader.Frame frame) {
					try {
						write(out, handler.answer(frame.message(), from));
					} finally {
						frame.release();
					}
				} else if (read instanceof MllpFrameReader.Refused refused) {
					log.warn("MLLP frame from {} refused: {} (limits: {} bytes, {} segments); connection closed", peer,
							describe(refused.why()), limits.maxMessageBytes(), limits.maxSegments());
					String answer = refused.complete() ? handler.refuse(refused.head(), refused.why(), from) : null;
					if (answer != null) {
						write(out, answer);
					}
					return;
				} else {
					return;
				}
			}
		} catch (SocketTimeoutException e) {
			log.debug("MLLP connection from {} idle for {}: closed", peer, limits.idleTimeout());
		} catch (IOException e) {
			log.debug("MLLP connection from {} ended: {}", peer, e.getClass().getSimpleName());
		} catch (RuntimeException | Error e) {
			// The class only: a message could quote what was received. The pool replaces the thread if needed.
			log.warn("MLLP connection from {} failed: {}", peer, e.getClass().getName());
		} finally {
			open.remove(socket);
			connections.release();
		}
	}

	/**
	 * The TLS handshake, before anything is read (plain: nothing to do). Null when it failed: logged (rate
	 * limited, the reason only) and the connection is closed by the caller.
	 */
	private Peer handshake(Socket socket, String address) throws IOException {
		if (!(socket instanceof SSLSocket ssl)) {
			return new Peer(address, false, null);
		}
		try {
			ssl.startHandshake();
		} catch (SSLException e) {
			handshakeFailed(address, MllpTls.handshakeFailure(e));
			return null;
		}
		X509Certificate certificate = null;
		try {
			Certificate[] chain = ssl.getSession().getPeerCertificates();
			if (chain.length > 0 && chain[0] instanceof X509Certificate leaf) {
				certificate = leaf;
			}
		} catch (SSLPeerUnverifiedException none) {
			// client-auth want or none: a client without a certificate is served, named by MSH-3 only
		}
		return new Peer(address, true, certificate);
	}

	/**
	 * One warning line per failed handshake, at most one per 10 s with the count of those in between: an
	 * operator sees why a new sender cannot connect, and a scan of the port does not flood the log.
	 */
	private void handshakeFailed(String address, String reason) {
		int count = failedHandshakes.incrementAndGet();
		long now = System.nanoTime();
		long last = lastHandshakeWarning.get();
		if (now - last >= HANDSHAKE_WARN_EVERY_NANOS && lastHandshakeWarning.compareAndSet(last, now)) {
			failedHandshakes.addAndGet(-count);
			log.warn("MLLP over TLS on port {}: handshake with {} failed, connection closed: {}{}", port(), address, reason,
					count > 1 ? " (" + (count - 1) + " more failed handshake(s) since the last such line)" : "");
		} else {
			log.debug("MLLP over TLS on port {}: handshake with {} failed: {}", port(), address, reason);
		}
	}

	private static String describe(MllpFrameReader.Overflow why) {
		return switch (why) {
			case SIZE -> "larger than max-message-size";
			case SEGMENTS -> "more segments than max-segments";
			case BUSY -> "no room under max-total-size";
		};
	}

	private static void write(OutputStream out, String ack) throws IOException {
		out.write(MllpFrameReader.frame(ack));
		out.flush();
	}

	/** One log line a minute at most, with the count since the last: a flood must not flood the log. */
	private void turnedAway(String what) {
		int count = turnedAway.incrementAndGet();
		long now = System.nanoTime();
		long last = lastWarning.get();
		if (now - last >= WARN_EVERY_NANOS && lastWarning.compareAndSet(last, now)) {
			turnedAway.addAndGet(-count);
			log.warn("MLLP listener on port {} closed {} connection(s) at once, the latest {}", port(), count, what);
		}
	}

	private static void pause() {
		try {
			Thread.sleep(100);
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
	}

	private static Thread daemon(Runnable r, String name) {
		Thread t = new Thread(r, name);
		t.setDaemon(true);
		return t;
	}

	private static void closeQuietly(java.io.Closeable c) {
		if (c != null) {
			try {
				c.close();
			} catch (IOException ignored) {
				// closing; nothing left to do
			}
		}
	}
}

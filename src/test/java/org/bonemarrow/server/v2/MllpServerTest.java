package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.bonemarrow.server.v2.MllpTestSockets.closedByServer;
import static org.bonemarrow.server.v2.MllpTestSockets.frame;
import static org.bonemarrow.server.v2.MllpTestSockets.readAnswer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The MLLP transport on its own (no Spring, port 0): its limits on frames, connections, idle time and peers.
 * The handler echoes a fixed answer and records what it was given.
 */
class MllpServerTest {

	private static final String MSH = "MSH|^~\\&|TEST-APP|FAC|BONEMARROW-FHIR|BONEMARROW|20250217090000||ORM^O01^ORM_O01|CTRL-1|P|2.5.1";

	private final List<String> answered = new CopyOnWriteArrayList<>();
	private final List<String> refusedHeads = new CopyOnWriteArrayList<>();
	private final List<MllpFrameReader.Overflow> refusedWhy = new CopyOnWriteArrayList<>();
	private final List<MllpServer> servers = new ArrayList<>();
	private final List<Socket> sockets = new ArrayList<>();

	@AfterEach
	void close() {
		sockets.forEach(MllpServerTest::closeQuietly);
		servers.forEach(MllpServer::close);
	}

	private MllpServer start(String threadName, MllpServer.Limits limits) {
		MllpServer server = MllpServer.start("127.0.0.1", 0, threadName, limits, new MllpServer.Handler() {
			@Override
			public String answer(String message, MllpServer.Peer peer) {
				answered.add(message);
				return "ACK|AA";
			}

			@Override
			public String refuse(String head, MllpFrameReader.Overflow why, MllpServer.Peer peer) {
				refusedHeads.add(head);
				refusedWhy.add(why);
				return "ACK|AR";
			}
		});
		servers.add(server);
		return server;
	}

	private static MllpServer.Limits limits(int maxBytes, int maxSegments, int maxConnections, Duration idle,
			List<String> peers) {
		return new MllpServer.Limits(maxBytes, maxSegments, maxConnections, 64L * 1024 * 1024, idle, peers);
	}

	private Socket connect(MllpServer server) throws IOException {
		Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port());
		s.setSoTimeout(20_000);
		sockets.add(s);
		return s;
	}

	@Test
	void severalMessagesOnOneConnectionAreEachAnswered() throws Exception {
		MllpServer server = start("t-many", MllpServer.Limits.defaults());
		Socket s = connect(server);
		OutputStream out = s.getOutputStream();
		for (int i = 0; i < 3; i++) {
			out.write(frame(MSH + "\rPID|" + i));
			out.flush();
			assertThat(readAnswer(s)).isEqualTo("ACK|AA");
		}
		assertThat(answered).containsExactly(MSH + "\rPID|0", MSH + "\rPID|1", MSH + "\rPID|2");
	}

	@Test
	void aFrameOverTheSizeLimitIsCutOffAnsweredFromItsHeaderAndTheConnectionClosed() throws Exception {
		MllpServer server = start("t-size", limits(4096, 5000, 5, Duration.ofSeconds(20), List.of()));
		Socket s = connect(server);
		String big = MSH + "\rNTE|1||" + "x".repeat(1_000_000);
		s.getOutputStream().write(frame(big));
		s.getOutputStream().flush();

		assertThat(readAnswer(s)).isEqualTo("ACK|AR");
		assertThat(closedByServer(s)).isTrue();
		assertThat(answered).isEmpty();
		assertThat(refusedWhy).containsExactly(MllpFrameReader.Overflow.SIZE);
		assertThat(refusedHeads.get(0)).startsWith(MSH + "\r").hasSizeLessThanOrEqualTo(4096);

		// The next sender is served as usual.
		Socket next = connect(server);
		next.getOutputStream().write(frame(MSH));
		assertThat(readAnswer(next)).isEqualTo("ACK|AA");
	}

	@Test
	void aFrameWithTooManySegmentsIsRefusedWhileItIsRead() throws Exception {
		MllpServer server = start("t-segments", limits(1024 * 1024, 10, 5, Duration.ofSeconds(20), List.of()));
		Socket s = connect(server);
		s.getOutputStream().write(frame(MSH + "\rNTE|1".repeat(10)));
		assertThat(readAnswer(s)).isEqualTo("ACK|AR");
		assertThat(refusedWhy).containsExactly(MllpFrameReader.Overflow.SEGMENTS);

		Socket ok = connect(server);
		ok.getOutputStream().write(frame(MSH + "\rNTE|1".repeat(9)));
		assertThat(readAnswer(ok)).isEqualTo("ACK|AA");
	}

	@Test
	void connectionsBeyondTheLimitAreClosedAtOnceAndNeverGetAThread() throws Exception {
		MllpServer server = start("t-conns", limits(4096, 100, 3, Duration.ofSeconds(20), List.of()));
		List<Socket> idle = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			idle.add(connect(server));
		}
		Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() == 3);
		List<Socket> extra = new ArrayList<>();
		for (int i = 0; i < 10; i++) {
			extra.add(connect(server));
		}
		for (Socket s : extra) {
			assertThat(closedByServer(s)).as("a connection over the limit is closed").isTrue();
		}
		assertThat(server.connectionThreads()).isLessThanOrEqualTo(3);
		assertThat(threadsNamed("t-conns-")).isLessThanOrEqualTo(3 + 1);

		idle.get(0).close();
		Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() == 2);
		Socket next = connect(server);
		next.getOutputStream().write(frame(MSH));
		assertThat(readAnswer(next)).isEqualTo("ACK|AA");
	}

	@Test
	void anIdleConnectionIsClosedAfterTheIdleTimeout() throws Exception {
		MllpServer server = start("t-idle", limits(4096, 100, 3, Duration.ofSeconds(1), List.of()));
		Socket s = connect(server);
		long started = System.nanoTime();
		assertThat(closedByServer(s)).isTrue();
		assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(500), Duration.ofSeconds(10));
		Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() == 0);
	}

	@Test
	void aPeerNotInAllowedPeersIsClosedBeforeAnythingIsRead() throws Exception {
		MllpServer server = start("t-peers", limits(4096, 100, 3, Duration.ofSeconds(20), List.of("10.255.255.1", "192.0.2.0/24")));
		Socket s = connect(server);
		s.getOutputStream().write(frame(MSH));
		assertThat(closedByServer(s)).isTrue();
		assertThat(answered).isEmpty();
		assertThat(refusedHeads).isEmpty();

		MllpServer loopback = start("t-peers-ok", limits(4096, 100, 3, Duration.ofSeconds(20), List.of("127.0.0.0/8", "::1")));
		Socket ok = connect(loopback);
		ok.getOutputStream().write(frame(MSH));
		assertThat(readAnswer(ok)).isEqualTo("ACK|AA");
	}

	@Test
	void allowedPeersTakeAddressesAndRangesButNoHostNames() {
		assertThat(MllpServer.peerMatcher("10.1.2.3").matches("10.1.2.3")).isTrue();
		assertThat(MllpServer.peerMatcher("10.1.0.0/16").matches("10.1.200.3")).isTrue();
		assertThat(MllpServer.peerMatcher("10.1.0.0/16").matches("10.2.0.1")).isFalse();
		assertThatThrownBy(() -> MllpServer.peerMatcher("lis.hospital.example"))
				.isInstanceOf(IllegalArgumentException.class).hasMessageContaining("allowed-peers");
	}

	@Test
	void theFrameReaderKeepsNoMoreThanItsLimitAndStaysInStepAfterARefusal() throws Exception {
		byte[] tooBig = frame(MSH + "\rNTE|" + "y".repeat(10_000));
		byte[] next = frame(MSH + "\rPID|2");
		ByteArrayOutputStream both = new ByteArrayOutputStream();
		both.writeBytes(tooBig);
		both.write('\n'); // some senders put a line feed between frames
		both.writeBytes(next);
		Semaphore budget = new Semaphore(1_000_000);
		MllpFrameReader reader = new MllpFrameReader(new ByteArrayInputStream(both.toByteArray()), 1000, 100, budget,
				Duration.ofSeconds(5));

		MllpFrameReader.Read first = reader.next();
		assertThat(first).isInstanceOfSatisfying(MllpFrameReader.Refused.class, r -> {
			assertThat(r.why()).isEqualTo(MllpFrameReader.Overflow.SIZE);
			assertThat(r.complete()).isTrue();
			assertThat(r.head()).hasSize(1000);
		});
		MllpFrameReader.Read second = reader.next();
		assertThat(second).isInstanceOfSatisfying(MllpFrameReader.Frame.class,
				f -> assertThat(f.message()).isEqualTo(MSH + "\rPID|2"));
		assertThat(reader.next()).isInstanceOf(MllpFrameReader.Closed.class);
		assertThat(budget.availablePermits()).isEqualTo(1_000_000);
	}

	@Test
	void largeFramesShareOneBudget_aFrameThatFindsNoRoomIsRefusedAsBusy() throws Exception {
		// Each frame holds 192 KB beyond its free 64 KB once whole; two of them do not fit in 300,000 bytes.
		int size = 200_000;
		Semaphore budget = new Semaphore(300_000);
		MllpFrameReader first = new MllpFrameReader(new ByteArrayInputStream(frame("A".repeat(size))), 1_000_000, 100,
				budget, Duration.ofMillis(200));
		MllpFrameReader.Frame held = (MllpFrameReader.Frame) first.next();
		MllpFrameReader second = new MllpFrameReader(new ByteArrayInputStream(frame("B".repeat(size))), 1_000_000, 100,
				budget, Duration.ofMillis(200));

		assertThat(second.next()).isInstanceOfSatisfying(MllpFrameReader.Refused.class,
				r -> assertThat(r.why()).isEqualTo(MllpFrameReader.Overflow.BUSY));
		held.release();
		assertThat(budget.availablePermits()).isEqualTo(300_000);
		MllpFrameReader third = new MllpFrameReader(new ByteArrayInputStream(frame("C".repeat(size))), 1_000_000, 100,
				budget, Duration.ofMillis(200));
		assertThat(third.next()).isInstanceOf(MllpFrameReader.Frame.class);
	}

	private static long threadsNamed(String prefix) {
		return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith(prefix)).count();
	}

	private static void closeQuietly(Socket s) {
		try {
			s.close();
		} catch (IOException ignored) {
			// test cleanup
		}
	}
}

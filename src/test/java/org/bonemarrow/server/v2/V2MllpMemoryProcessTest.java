package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.hl7v2.util.Terser;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.bonemarrow.server.support.ServerProcess;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 H2 with a real heap limit: the server as its own process with a small heap (a red-team probe
 * exhausted the heap with 20 MB and 40 MB MLLP frames, and once took HTTP down with it). 448 MB: the idle
 * server keeps ~315 MB live after start-up (measured with a full GC; with 256 MB it does not start at all),
 * so ~130 MB are left, less than HAPI's old listener needed for these two frames. Both frames at once,
 * then a repetition bomb over {@code POST /hl7v2}; afterwards the process must be alive, healthy, answer a
 * FHIR search and accept a normal message over MLLP. One server start (CI has 2 cores).
 */
class V2MllpMemoryProcessTest {

	private static final String SENDER = "BM-MEM-EHR";

	@Test
	void framesOfFortyAndTwentyMegabytesLeaveASmallHeapServerAnsweringHttpAndMllp() throws Exception {
		Path dataDir = Files.createDirectories(Path.of("target", "v2-mllp-memory-" + V2Samples.newSuffix()));
		Path log = dataDir.resolve("server.log");
		int mllpPort = freePort();
		try (ServerProcess server = ServerProcess.start(dataDir, log, List.of("-Xmx448m"),
				"--bonemarrow.v2.mllp.enabled=true", "--bonemarrow.v2.mllp.port=" + mllpPort,
				"--bonemarrow.v2.mllp.senders." + SENDER + "=ehr")) {
			String suffix = V2Samples.newSuffix();
			String order = V2Samples.withSendingApplication(V2Samples.unique("orm-o01-new-order.hl7", suffix), SENDER);

			CompletableFuture<String> forty = CompletableFuture.supplyAsync(() -> sendOversize(mllpPort, order, 40));
			CompletableFuture<String> twenty = CompletableFuture.supplyAsync(() -> sendOversize(mllpPort, order, 20));
			for (String answer : List.of(forty.get(3, TimeUnit.MINUTES), twenty.get(3, TimeUnit.MINUTES))) {
				// AR, or (if the listener could not answer) the connection closed: never AA, never a hang
				if (!answer.isEmpty()) {
					Terser t = new Terser(V2Samples.parse(answer));
					assertThat(t.get("/MSA-1")).isEqualTo("AR");
					assertThat(t.get("/ERR-8")).contains("max-message-size");
				}
			}

			// A few hundred KB of repetitions, which HAPI's parser would have turned into hundreds of MB.
			String repetitions = V2Samples.unique("orm-o01-new-order.hl7", suffix)
					.replace("\rPID|1||", "\rPID|1||" + "1~".repeat(200_000));
			Response http = V2Http.post(server.port, server.token("ehr"), repetitions);
			assertThat(http.statusCode()).isEqualTo(200);
			assertThat(new Terser(V2Samples.parse(http.asString())).get("/MSA-1")).isEqualTo("AR");

			assertThat(server.isAlive()).isTrue();
			// explicit base: the shared REST tests set RestAssured's static base path to /fhir in this JVM
			RestAssured.given().baseUri("http://localhost").port(server.port).basePath("").get("/actuator/health")
					.then().statusCode(200);
			String placer = V2Codes.PLACER_SYSTEM + "|" + V2Samples.id("PO-V2-0001", suffix);
			assertThat(count(server, "/ServiceRequest?identifier=" + placer)).as("nothing of the refused messages").isZero();

			String ack = V2Mllp.send(mllpPort, order);
			assertThat(new Terser(V2Samples.parse(ack)).get("/MSA-1")).isEqualTo("AA");
			assertThat(count(server, "/ServiceRequest?identifier=" + placer)).isEqualTo(1);
			assertThat(Files.readString(log)).doesNotContain("OutOfMemoryError");
		}
	}

	/** Sends one frame of about this many MB and returns the answer, or "" if the listener closed without one. */
	private static String sendOversize(int port, String message, int megabytes) {
		try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
			s.setSoTimeout(120_000);
			OutputStream out = s.getOutputStream();
			out.write(MllpFrameReader.START);
			out.write((message + "\rNTE|2||").getBytes(StandardCharsets.UTF_8));
			byte[] chunk = "x".repeat(1024 * 1024).getBytes(StandardCharsets.US_ASCII);
			try {
				for (int i = 0; i < megabytes; i++) {
					out.write(chunk);
				}
				out.write(MllpFrameReader.END);
				out.write(MllpFrameReader.CR);
				out.flush();
			} catch (SocketException closedWhileWriting) {
				return "";
			}
			return readAnswer(s.getInputStream());
		} catch (IOException e) {
			throw new IllegalStateException(e);
		}
	}

	private static String readAnswer(InputStream in) throws IOException {
		int b;
		try {
			b = in.read();
		} catch (SocketException reset) {
			return "";
		}
		if (b < 0) {
			return "";
		}
		assertThat(b).isEqualTo(MllpFrameReader.START);
		ByteArrayOutputStream content = new ByteArrayOutputStream();
		while ((b = in.read()) != MllpFrameReader.END) {
			assertThat(b).isNotNegative();
			content.write(b);
		}
		return content.toString(StandardCharsets.UTF_8);
	}

	private static int count(ServerProcess server, String search) {
		Response r = server.fhir().get(search + "&_total=accurate");
		r.then().statusCode(200);
		return r.jsonPath().getInt("total");
	}

	private static int freePort() throws IOException {
		try (ServerSocket s = new ServerSocket(0)) {
			return s.getLocalPort();
		}
	}
}

package org.bonemarrow.server.support;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.restassured.RestAssured;
import io.restassured.builder.RequestSpecBuilder;
import io.restassured.specification.RequestSpecification;
import org.awaitility.Awaitility;
import org.bonemarrow.server.BoneMarrowServerApplication;

/**
 * The server as a separate operating-system process on the test classpath, for what an in-JVM Spring
 * context cannot show: a real {@code kill -9} and a restart on the same data folder.
 */
public final class ServerProcess implements AutoCloseable {

	private final Process process;
	public final int port;
	private final Path dataDir;

	private ServerProcess(Process process, int port, Path dataDir) {
		this.process = process;
		this.port = port;
		this.dataDir = dataDir;
	}

	public static ServerProcess start(Path dataDir, Path log, String... extraArgs) throws IOException {
		return start(dataDir, log, List.of("-Xmx512m"), extraArgs);
	}

	/**
	 * @param jvmArgs options for the server's JVM, e.g. a small {@code -Xmx} for the memory-exhaustion tests
	 * @param extraArgs Spring Boot arguments ({@code --name=value})
	 */
	public static ServerProcess start(Path dataDir, Path log, List<String> jvmArgs, String... extraArgs)
			throws IOException {
		int port = freePort();
		String java = ProcessHandle.current().info().command().orElse("java");
		List<String> cmd = new ArrayList<>(List.of(java));
		cmd.addAll(jvmArgs);
		cmd.addAll(List.of("-cp", System.getProperty("java.class.path"),
				BoneMarrowServerApplication.class.getName(),
				"--server.port=" + port,
				"--bonemarrow.data-dir=" + dataDir.toAbsolutePath(),
				// The same all-scopes test client as in the shared test context (FhirServerTest).
				"--bonemarrow.security.roles.test-admin=system/*.cruds system/AuditEvent.rs",
				"--bonemarrow.security.embedded.clients=ehr,lab,department,integration,auditor,test-admin",
				// Test receivers listen on loopback.
				"--bonemarrow.notifications.endpoints.allow-loopback=true"));
		cmd.addAll(List.of(extraArgs));
		Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
				.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
		ServerProcess server = new ServerProcess(p, port, dataDir);
		try {
			server.awaitHealthy();
		} catch (RuntimeException | Error e) {
			// The caller's try-with-resources never gets this instance: a server that did not become ready would
			// otherwise run on for the rest of the suite and slow every later test.
			p.destroyForcibly();
			throw e;
		}
		return server;
	}

	/** Requests to this process's FHIR base as the all-scopes test client, with a token it issued. */
	public RequestSpecification fhir() {
		return fhir(token(Tokens.TEST_ADMIN));
	}

	/** Requests to this process's FHIR base with the given bearer token. */
	public RequestSpecification fhir(String bearerToken) {
		return RestAssured.given(new RequestSpecBuilder()
				.setBaseUri("http://localhost").setPort(port).setBasePath("/fhir")
				.setContentType("application/fhir+json").setAccept("application/fhir+json")
				.addHeader("Authorization", "Bearer " + bearerToken).build());
	}

	/** A token from this process's embedded authorization server (from its data folder's clients). */
	public String token(String clientId) {
		return Tokens.token(port, dataDir.resolve("security/clients.json"), clientId);
	}

	private void awaitHealthy() {
		Awaitility.await("server on port " + port + " healthy")
				.atMost(Duration.ofMinutes(3))
				.pollInterval(Duration.ofMillis(250))
				.until(() -> {
					if (!process.isAlive()) {
						throw new IllegalStateException("server process exited with " + process.exitValue());
					}
					return healthStatus() == 200;
				});
	}

	private int healthStatus() {
		try {
			HttpURLConnection c = (HttpURLConnection) URI.create("http://localhost:" + port + "/actuator/health/readiness")
					.toURL().openConnection();
			c.setConnectTimeout(500);
			c.setReadTimeout(2000);
			return c.getResponseCode();
		} catch (IOException e) {
			return -1;
		}
	}

	/** Whether the server's process is still running (a process that died of OutOfMemoryError is not). */
	public boolean isAlive() {
		return process.isAlive();
	}

	/** SIGKILL: no shutdown hook, no flush, no compaction. */
	public void kill9() throws InterruptedException {
		process.destroyForcibly();
		process.waitFor(30, TimeUnit.SECONDS);
	}

	/** SIGTERM: Spring's graceful shutdown. Returns the exit code. */
	public int stop() throws InterruptedException {
		process.destroy();
		if (!process.waitFor(60, TimeUnit.SECONDS)) {
			process.destroyForcibly();
		}
		return process.exitValue();
	}

	@Override
	public void close() throws InterruptedException {
		if (process.isAlive()) {
			kill9();
		}
	}

	/** A TCP port free now (for a receiver that a test starts later, on a port the server was told). */
	public static int freePort() throws IOException {
		try (ServerSocket s = new ServerSocket(0)) {
			return s.getLocalPort();
		}
	}
}

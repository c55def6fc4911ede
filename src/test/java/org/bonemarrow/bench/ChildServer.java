package org.bonemarrow.bench;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.bonemarrow.server.BoneMarrowServerApplication;

/**
 * Our server, or the stock HAPI starter from its jar, as a child process on a fresh data folder (like the
 * tests' ServerProcess, without their test libraries), so one benchmark command can compare
 * configurations on the same machine.
 */
final class ChildServer implements AutoCloseable {

	final Process process;
	final int port;
	final Path dataDir;
	final double startupSeconds;

	private ChildServer(Process process, int port, Path dataDir, double startupSeconds) {
		this.process = process;
		this.port = port;
		this.dataDir = dataDir;
		this.startupSeconds = startupSeconds;
	}

	String fhirBase() {
		return "http://127.0.0.1:" + port + "/fhir";
	}

	/** Our server from this project's classes. */
	static ChildServer start(Path modeDir, List<String> jvmArgs, List<String> springArgs) throws IOException, InterruptedException {
		Path dataDir = freshDataDir(modeDir);
		int port = freePort();
		List<String> cmd = new ArrayList<>();
		cmd.add(java());
		cmd.addAll(jvmArgs);
		cmd.addAll(List.of("-cp", classpath(), BoneMarrowServerApplication.class.getName(),
				"--server.port=" + port, "--server.address=127.0.0.1", "--bonemarrow.data-dir=" + dataDir));
		cmd.addAll(springArgs);
		return launch(new ProcessBuilder(cmd), modeDir, port, dataDir);
	}

	/**
	 * The stock hapi-fhir-jpaserver-starter from its runnable war or jar, with only a port (loopback) and
	 * {@code starterArgs} of the data folder made for it (e.g. its datasource URL) beside its own defaults. Its working directory is the
	 * mode's folder, so whatever it writes to relative paths stays in this run's fresh folder.
	 */
	static ChildServer startStarter(Path modeDir, Path jar, List<String> jvmArgs, Function<Path, List<String>> starterArgs)
			throws IOException, InterruptedException {
		if (!Files.isRegularFile(jar)) {
			throw new IllegalArgumentException("no starter jar at " + jar);
		}
		Path dataDir = freshDataDir(modeDir);
		int port = freePort();
		List<String> cmd = new ArrayList<>();
		cmd.add(java());
		cmd.addAll(jvmArgs);
		cmd.addAll(List.of("-jar", jar.toString(), "--server.port=" + port, "--server.address=127.0.0.1"));
		cmd.addAll(starterArgs.apply(dataDir));
		return launch(new ProcessBuilder(cmd).directory(modeDir.toFile()), modeDir, port, dataDir);
	}

	private static Path freshDataDir(Path modeDir) throws IOException {
		deleteRecursively(modeDir);
		Path dataDir = modeDir.resolve("data");
		Files.createDirectories(dataDir);
		return dataDir;
	}

	private static String java() {
		return ProcessHandle.current().info().command().orElse("java");
	}

	private static ChildServer launch(ProcessBuilder builder, Path modeDir, int port, Path dataDir)
			throws IOException, InterruptedException {
		long start = System.nanoTime();
		// The server's log goes to a file beside the data folder: it is not the benchmark's output.
		Process p = builder.redirectErrorStream(true).redirectOutput(modeDir.resolve("server.log").toFile()).start();
		return new ChildServer(p, port, dataDir, awaitReady(p, port, start));
	}

	/** Seconds from process start to readiness UP; at most 3 minutes. */
	private static double awaitReady(Process p, int port, long start) throws InterruptedException {
		long deadline = start + TimeUnit.MINUTES.toNanos(3);
		while (System.nanoTime() < deadline) {
			if (!p.isAlive()) {
				throw new IllegalStateException("server exited with " + p.exitValue() + " (see server.log)");
			}
			if (readiness(port) == 200) {
				return (System.nanoTime() - start) / 1e9;
			}
			Thread.sleep(200);
		}
		p.destroyForcibly();
		throw new IllegalStateException("server not ready within 3 minutes");
	}

	private static int readiness(int port) {
		try {
			HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness")
					.toURL().openConnection();
			c.setConnectTimeout(500);
			c.setReadTimeout(2000);
			return c.getResponseCode();
		} catch (IOException e) {
			return -1;
		}
	}

	/** SIGTERM, as an operator would stop it: H2 is then closed and compacted. */
	void stop() throws InterruptedException {
		process.destroy();
		if (!process.waitFor(90, TimeUnit.SECONDS)) {
			process.destroyForcibly();
			process.waitFor(30, TimeUnit.SECONDS);
		}
	}

	@Override
	public void close() throws InterruptedException {
		if (process.isAlive()) {
			stop();
		}
	}

	/**
	 * The project's classpath. Under {@code mvn exec:java} the JVM's own java.class.path is Maven's
	 * launcher, and the project's classes are in the class loader exec:java made for them.
	 */
	private static String classpath() {
		if (ChildServer.class.getClassLoader() instanceof URLClassLoader loader && loader.getURLs().length > 0) {
			return Arrays.stream(loader.getURLs()).map(ChildServer::toPath).collect(Collectors.joining(File.pathSeparator));
		}
		return System.getProperty("java.class.path");
	}

	private static String toPath(URL url) {
		try {
			return Paths.get(url.toURI()).toString();
		} catch (Exception e) {
			throw new IllegalStateException(e);
		}
	}

	private static int freePort() throws IOException {
		try (ServerSocket s = new ServerSocket(0)) {
			return s.getLocalPort();
		}
	}

	/** Apparent size of every file under a folder, in bytes (what du --apparent-size shows). */
	static long sizeOf(Path dir) {
		try (Stream<Path> files = Files.walk(dir)) {
			return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
		} catch (IOException e) {
			return -1;
		}
	}

	private static void deleteRecursively(Path dir) throws IOException {
		if (Files.exists(dir)) {
			try (Stream<Path> files = Files.walk(dir)) {
				for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
					Files.delete(f);
				}
			}
		}
	}
}

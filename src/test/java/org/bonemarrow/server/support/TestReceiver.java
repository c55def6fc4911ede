package org.bonemarrow.server.support;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A receiving system on loopback that records every notification HAPI delivers to it. */
public final class TestReceiver implements AutoCloseable {

	/** @param deliveryId the outbox's X-Delivery-Id header: the same on every attempt of one delivery */
	public record Delivery(String method, String path, String authorization, String body, String deliveryId) {}

	private final HttpServer server;
	public final List<Delivery> deliveries = new CopyOnWriteArrayList<>();

	public TestReceiver() throws IOException {
		this(0);
	}

	/** A receiver that answers 503 to its first {@code failFirst} deliveries (they are still recorded). */
	public TestReceiver(int failFirst) throws IOException {
		this(failFirst, 0);
	}

	/** A receiver on a given loopback port (a system that comes back up where the server expects it). */
	public TestReceiver(int failFirst, int port) throws IOException {
		AtomicInteger remainingFailures = new AtomicInteger(failFirst);
		server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
		server.createContext("/", exchange -> {
			String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
			deliveries.add(new Delivery(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
					exchange.getRequestHeaders().getFirst("Authorization"), body,
					exchange.getRequestHeaders().getFirst("X-Delivery-Id")));
			exchange.sendResponseHeaders(remainingFailures.getAndDecrement() > 0 ? 503 : 200, -1);
			exchange.close();
		});
		server.start();
	}

	public String endpoint() {
		return "http://127.0.0.1:" + server.getAddress().getPort() + "/ehr/fhir";
	}

	@Override
	public void close() {
		server.stop(0);
	}
}

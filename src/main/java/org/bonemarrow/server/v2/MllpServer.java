package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.app.HL7Service;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.parser.GenericModelClassFactory;
import ca.uhn.hl7v2.protocol.ReceivingApplication;
import ca.uhn.hl7v2.protocol.ReceivingApplicationExceptionHandler;
import ca.uhn.hl7v2.util.StandardSocketFactory;
import ca.uhn.hl7v2.validation.impl.ValidationContextFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An MLLP listener on HAPI's own server ({@code HapiContext.newServer(port, false)}, a SimpleServer), bound
 * to one local address rather than all of them, and able to listen on port 0 (a free port, for tests) while
 * telling which port it got. HAPI binds the socket it gets from the context's SocketFactory to
 * {@code 0.0.0.0:<port>}; the factory here hands out a socket that binds to the configured address instead
 * and reports the bound port. The listener's own parse is generic and unvalidated: messages go, raw, to the
 * application, which answers every one of them (even those HAPI cannot parse, through the exception handler).
 */
public final class MllpServer implements AutoCloseable {

	private final HapiContext context;
	private final HL7Service service;
	private final int port;

	private MllpServer(HapiContext context, HL7Service service, int port) {
		this.context = context;
		this.service = service;
		this.port = port;
	}

	/**
	 * @param bindAddress local address to listen on, e.g. 127.0.0.1
	 * @param port        TCP port, 0 for a free one
	 * @param threadName  prefix of the listener's thread names
	 */
	public static MllpServer start(String bindAddress, int port, String threadName,
			ReceivingApplication<Message> application, ReceivingApplicationExceptionHandler exceptionHandler) {
		HapiContext context = V2Hapi.networkContext(threadName);
		context.setModelClassFactory(new GenericModelClassFactory());
		context.setValidationContext(ValidationContextFactory.noValidation());
		BindingSocketFactory sockets;
		try {
			sockets = new BindingSocketFactory(InetAddress.getByName(bindAddress));
		} catch (IOException e) {
			throw new IllegalArgumentException("Not a usable bind address: " + bindAddress, e);
		}
		context.setSocketFactory(sockets);
		HL7Service service = context.newServer(port, false);
		service.registerApplication("*", "*", application);
		service.setExceptionHandler(exceptionHandler);
		try {
			service.startAndWait();
			int bound = sockets.boundPort.get(30, TimeUnit.SECONDS);
			return new MllpServer(context, service, bound);
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			stop(context, service);
			throw new IllegalStateException("Interrupted while starting the MLLP listener", e);
		} catch (ExecutionException | TimeoutException e) {
			stop(context, service);
			throw new IllegalStateException("MLLP listener could not listen on " + bindAddress + ":" + port, e);
		}
	}

	/** The port the listener is bound to (the configured one, or the one picked for port 0). */
	public int port() {
		return port;
	}

	@Override
	public void close() {
		stop(context, service);
	}

	private static void stop(HapiContext context, HL7Service service) {
		try {
			service.stopAndWait();
		} finally {
			V2Hapi.closeNetworkContext(context);
		}
	}

	/** Server sockets that bind to one address and report their port. */
	private static final class BindingSocketFactory extends StandardSocketFactory {
		private final InetAddress address;
		final CompletableFuture<Integer> boundPort = new CompletableFuture<>();

		BindingSocketFactory(InetAddress address) {
			this.address = address;
		}

		@Override
		public ServerSocket createServerSocket() throws IOException {
			return new ServerSocket() {
				@Override
				public void bind(SocketAddress endpoint, int backlog) throws IOException {
					int requested = endpoint instanceof InetSocketAddress a ? a.getPort() : 0;
					try {
						super.bind(new InetSocketAddress(address, requested), backlog);
						boundPort.complete(getLocalPort());
					} catch (IOException e) {
						boundPort.completeExceptionally(e);
						throw e;
					}
				}
			};
		}
	}
}

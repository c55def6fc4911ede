package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.DefaultHapiContext;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.llp.MinLowerLayerProtocol;
import ca.uhn.hl7v2.parser.CanonicalModelClassFactory;
import ca.uhn.hl7v2.util.idgenerator.IDGenerator;
import ca.uhn.hl7v2.validation.impl.ValidationContextFactory;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * HAPI HL7 v2 contexts configured the one way this server uses them:
 * <ul>
 *   <li>every message is read into the v2.5.1 structures ({@link CanonicalModelClassFactory}), so a 2.5
 *       message and a 2.5.1 message are handled by the same mapper code;</li>
 *   <li>HAPI's default validation of primitive values (numbers, dates) is on: a malformed value is a
 *       parse error answered AE with its location;</li>
 *   <li>control ids of ACKs and outbound messages come from memory, not from HAPI's default id file in
 *       the working directory;</li>
 *   <li>MLLP frames are read and written as UTF-8 (HAPI's default would be US-ASCII).</li>
 * </ul>
 * Contexts that open sockets get an executor of their own (HAPI's default one is shared JVM-wide and
 * shut down by whichever context closes first); close both with {@link #closeNetworkContext(HapiContext)}.
 */
public final class V2Hapi {

	public static final String VERSION = "2.5.1";

	private V2Hapi() {}

	/** For parsing and encoding only (no sockets). */
	public static HapiContext parsingContext() {
		DefaultHapiContext context = new DefaultHapiContext(new CanonicalModelClassFactory(VERSION));
		context.setValidationContext(ValidationContextFactory.defaultValidation());
		context.getParserConfiguration().setIdGenerator(ControlIds.INSTANCE);
		// Any MSH-12 is read, so that an unsupported version is answered AR 203 instead of not at all.
		context.getParserConfiguration().setAllowUnknownVersions(true);
		MinLowerLayerProtocol llp = new MinLowerLayerProtocol(false);
		llp.setCharset(StandardCharsets.UTF_8);
		context.setLowerLayerProtocol(llp);
		return context;
	}

	/** For a listener or a client: as {@link #parsingContext()}, with its own threads named {@code threadName-n}. */
	public static HapiContext networkContext(String threadName) {
		HapiContext context = parsingContext();
		AtomicInteger n = new AtomicInteger();
		ExecutorService executor = Executors.newCachedThreadPool(r -> {
			Thread t = new Thread(r, threadName + "-" + n.incrementAndGet());
			t.setDaemon(true);
			return t;
		});
		context.setExecutorService(executor);
		return context;
	}

	/** Closes the connections and the threads of a context made by {@link #networkContext(String)}. */
	public static void closeNetworkContext(HapiContext context) {
		try {
			context.close();
		} catch (Exception ignored) {
			// closing sockets on shutdown; nothing left to do
		}
		context.getExecutorService().shutdownNow();
	}

	/**
	 * MSH-10 values for what this server sends: {@code BM} + milliseconds since the epoch in base 36 + a
	 * counter, unique within the process and across restarts, and short (v2.5.1 MSH-10 is at most 20).
	 */
	static final class ControlIds implements IDGenerator {
		static final ControlIds INSTANCE = new ControlIds();
		private final AtomicLong counter = new AtomicLong();

		@Override
		public String getID() {
			return "BM" + Long.toString(System.currentTimeMillis(), 36).toUpperCase()
					+ String.format("%04d", counter.incrementAndGet() % 10_000);
		}
	}
}

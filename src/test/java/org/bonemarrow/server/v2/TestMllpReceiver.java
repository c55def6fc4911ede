package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.AcknowledgmentCode;
import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.HapiContext;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A receiving system (a LIS or EHR interface) on a loopback MLLP port, for the outbound ORU^R01 tests: it
 * records every message and acknowledges it AA, except the first delivery of a message containing one of
 * the marked texts, which it answers AE (to show retries). One per test JVM, started before the shared
 * server context ({@link V2TestReceiverInitializer}) because the server's configuration names its port.
 */
public final class TestMllpReceiver {

	private static TestMllpReceiver shared;

	final List<String> received = new CopyOnWriteArrayList<>();
	private final Set<String> refuseOnce = ConcurrentHashMap.newKeySet();
	private final HapiContext hapi = V2Hapi.parsingContext();
	private final MllpServer server;

	private TestMllpReceiver() {
		server = MllpServer.start("127.0.0.1", 0, "test-receiver", MllpServer.Limits.defaults(), new MllpServer.Handler() {
			@Override
			public String answer(String message, MllpServer.Peer peer) {
				return acknowledge(message);
			}

			@Override
			public String refuse(String head, MllpFrameReader.Overflow why, MllpServer.Peer peer) {
				return null;
			}
		});
	}

	public static synchronized TestMllpReceiver shared() {
		if (shared == null) {
			shared = new TestMllpReceiver();
		}
		return shared;
	}

	int port() {
		return server.port();
	}

	/** The first message containing this text is answered AE; its retry AA. */
	void refuseFirstDeliveryOf(String text) {
		refuseOnce.add(text);
	}

	/** Messages received so far that contain the text (e.g. a test's own placer number). */
	public List<String> containing(String text) {
		return received.stream().filter(m -> m.contains(text)).toList();
	}

	private String acknowledge(String raw) {
		received.add(raw);
		boolean refuse = refuseOnce.removeIf(raw::contains);
		try {
			return hapi.getPipeParser().parse(raw).generateACK(refuse ? AcknowledgmentCode.AE : AcknowledgmentCode.AA,
					refuse ? new HL7Exception("test receiver refuses the first delivery") : null).encode();
		} catch (HL7Exception | IOException e) {
			throw new IllegalStateException(e);
		}
	}
}

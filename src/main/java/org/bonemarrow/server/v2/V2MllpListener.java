package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.protocol.MetadataKeys;
import ca.uhn.hl7v2.protocol.ReceivingApplication;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The MLLP transport: HL7 v2 over TCP with MLLP framing, on {@code bonemarrow.v2.mllp.bind-address}:
 * {@code port} (default 127.0.0.1:2575, off unless {@code bonemarrow.v2.mllp.enabled=true}). Each message is
 * answered with its ACK on the same connection; the sender is its MSH-3, which must be configured
 * ({@link V2Senders}). Started after the rest of the server (its last lifecycle phase), stopped first.
 */
@Component
@ConditionalOnProperty(name = "bonemarrow.v2.mllp.enabled", havingValue = "true")
public class V2MllpListener implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(V2MllpListener.class);

	private final V2Properties properties;
	private final V2InboundProcessor processor;
	private final V2Senders senders;
	private volatile MllpServer server;

	public V2MllpListener(V2Properties properties, V2InboundProcessor processor, V2Senders senders) {
		this.properties = properties;
		this.processor = processor;
		this.senders = senders;
	}

	@Override
	public synchronized void start() {
		if (server != null) {
			return;
		}
		V2Properties.Mllp mllp = properties.mllp();
		server = MllpServer.start(mllp.bindAddress(), mllp.port(), "v2-mllp", new Application(),
				(incoming, metadata, outgoing, e) -> answer(incoming));
		log.info("HL7 v2 MLLP listener on {}:{} ({} configured senders)", mllp.bindAddress(), server.port(),
				mllp.senders().size());
	}

	@Override
	public synchronized void stop() {
		if (server != null) {
			server.close();
			server = null;
		}
	}

	@Override
	public boolean isRunning() {
		return server != null;
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

	private String answer(String raw) {
		return processor.process(raw, header -> senders.mllpSender(header.sendingApplication())).ack();
	}

	/** Hands the raw message to the processor and returns its ACK as HAPI's router wants it (a Message). */
	private final class Application implements ReceivingApplication<Message> {
		@Override
		public Message processMessage(Message message, Map<String, Object> metadata) throws HL7Exception {
			String raw = (String) metadata.get(MetadataKeys.IN_RAW_MESSAGE);
			return message.getParser().parse(answer(raw != null ? raw : message.encode()));
		}

		@Override
		public boolean canProcess(Message message) {
			return true;
		}
	}
}

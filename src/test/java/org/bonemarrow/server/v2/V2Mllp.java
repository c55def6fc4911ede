package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.llp.HL7Reader;
import ca.uhn.hl7v2.llp.HL7Writer;
import ca.uhn.hl7v2.llp.MinLowerLayerProtocol;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A sending system on a real socket: one MLLP-framed message out (HAPI's MinLLP writer), its ACK back.
 * Raw strings, so malformed messages can be sent as they are.
 */
final class V2Mllp {

	private V2Mllp() {}

	static String send(int port, String message) throws Exception {
		MinLowerLayerProtocol llp = new MinLowerLayerProtocol(false);
		llp.setCharset(StandardCharsets.UTF_8);
		try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
			socket.setSoTimeout(30_000);
			HL7Writer writer = llp.getWriter(socket.getOutputStream());
			HL7Reader reader = llp.getReader(socket.getInputStream());
			writer.writeMessage(message);
			String ack = reader.getMessage();
			if (ack == null) {
				throw new IllegalStateException("The listener closed the connection without an ACK");
			}
			return ack;
		}
	}
}

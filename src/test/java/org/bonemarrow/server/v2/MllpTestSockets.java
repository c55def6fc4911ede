package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/** Raw MLLP over a test socket, for the tests of the listener's limits. */
final class MllpTestSockets {

	private MllpTestSockets() {}

	static byte[] frame(String message) {
		return MllpFrameReader.frame(message);
	}

	/** The answer frame's content, or null when the server closed the connection without one. */
	static String readAnswer(Socket s) throws IOException {
		InputStream in = s.getInputStream();
		int b;
		try {
			b = in.read();
		} catch (SocketException reset) {
			return null;
		}
		if (b < 0) {
			return null;
		}
		assertThat(b).isEqualTo(MllpFrameReader.START);
		ByteArrayOutputStream content = new ByteArrayOutputStream();
		while ((b = in.read()) != MllpFrameReader.END) {
			assertThat(b).as("answer frame ended early").isNotNegative();
			content.write(b);
		}
		assertThat(in.read()).isEqualTo(MllpFrameReader.CR);
		return content.toString(StandardCharsets.UTF_8);
	}

	/** Whether the server closed the connection: end of stream or reset, within the socket's timeout. */
	static boolean closedByServer(Socket s) throws IOException {
		try {
			return s.getInputStream().read() < 0;
		} catch (SocketException reset) {
			return true;
		}
	}
}

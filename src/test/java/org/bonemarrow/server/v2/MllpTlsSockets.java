package org.bonemarrow.server.v2;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

/** A sending system over MLLP inside TLS, on a real socket, with whatever certificate the test gives it. */
final class MllpTlsSockets {

	private MllpTlsSockets() {}

	/** One message, its ACK (fails when the connection closes without one). */
	static String send(SSLContext client, int port, String message) throws IOException {
		try (SSLSocket s = open(client, port)) {
			s.startHandshake();
			s.getOutputStream().write(MllpTestSockets.frame(message));
			s.getOutputStream().flush();
			String ack = MllpTestSockets.readAnswer(s);
			if (ack == null) {
				throw new IllegalStateException("The listener closed the connection without an ACK");
			}
			return ack;
		}
	}

	/**
	 * Whether the listener refused the connection: the handshake failed on this side, or (TLS 1.3, where the
	 * server checks the client certificate after the client has finished) the first read got the server's alert
	 * or the end of the connection, without an ACK.
	 */
	static boolean refused(SSLContext client, int port, String message) throws IOException {
		try (SSLSocket s = open(client, port)) {
			s.startHandshake();
			s.getOutputStream().write(MllpTestSockets.frame(message));
			s.getOutputStream().flush();
			return MllpTestSockets.readAnswer(s) == null;
		} catch (SSLException | SocketException e) {
			return true;
		}
	}

	/**
	 * Plain MLLP to a TLS port: true when the listener closed the connection without an MLLP answer (what it
	 * sends before closing, if anything, is a TLS alert record, never a frame).
	 */
	static boolean plainRefused(int port, String message) throws IOException {
		try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
			s.setSoTimeout(20_000);
			s.getOutputStream().write(MllpTestSockets.frame(message));
			s.getOutputStream().flush();
			byte[] got = s.getInputStream().readNBytes(64 * 1024);
			for (byte b : got) {
				if (b == MllpFrameReader.START) {
					return false;
				}
			}
			return true;
		} catch (SocketException e) {
			return true;
		}
	}

	private static SSLSocket open(SSLContext client, int port) throws IOException {
		SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port);
		s.setSoTimeout(20_000);
		return s;
	}
}

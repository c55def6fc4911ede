package org.bonemarrow.server.v2;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Reads MLLP frames ({@code <VT> message <FS><CR>}) from one connection without ever holding more of a frame
 * than the limits allow. Size and segments are counted byte by byte as the frame arrives; the moment either
 * limit is passed the frame's buffer is let go (only its first bytes are kept, for the MSH an answer is
 * addressed from) and the rest of the frame is read and thrown away, so that the refusal can still be
 * written on a connection that is in step with the sender.
 *
 * <p>The first 64 KB of a frame are the connection's own; what a frame holds beyond that is taken from a
 * budget shared by all connections ({@code maxTotalSize}), so that many senders of large messages together
 * cannot hold more than the budget either. A frame that cannot get its share within the wait is refused
 * like an oversize one.
 *
 * <p>UTF-8, as the rest of the gateway. Not thread-safe: one reader per connection, used by its thread only.
 */
final class MllpFrameReader {

	static final int START = 0x0B;
	static final int END = 0x1C;
	static final int CR = 0x0D;
	static final int LF = 0x0A;

	/** One message in MLLP framing: start block, the message in UTF-8, end block, carriage return. */
	static byte[] frame(String message) {
		byte[] content = message.getBytes(java.nio.charset.StandardCharsets.UTF_8);
		byte[] framed = new byte[content.length + 3];
		framed[0] = START;
		System.arraycopy(content, 0, framed, 1, content.length);
		framed[content.length + 1] = END;
		framed[content.length + 2] = CR;
		return framed;
	}

	/** Bytes kept for free per frame, and the most of a refused frame's start kept to read its MSH from. */
	static final int FREE_BYTES = 64 * 1024;
	/** Bytes tolerated between frames (line feeds some senders add); more means the peer does not speak MLLP. */
	static final int MAX_BETWEEN_FRAMES = 1024;

	/** Why a frame was not read whole. */
	enum Overflow {
		/** larger than maxMessageSize */
		SIZE,
		/** more than maxSegments segments */
		SEGMENTS,
		/** the shared budget for large messages was used up by other connections */
		BUSY
	}

	sealed interface Read permits Frame, Refused, Closed {}

	/** A whole message. {@link #release()} returns its share of the shared budget once it has been answered. */
	static final class Frame implements Read {
		private final String message;
		private final Semaphore budget;
		private int borrowed;

		Frame(String message, Semaphore budget, int borrowed) {
			this.message = message;
			this.budget = budget;
			this.borrowed = borrowed;
		}

		String message() {
			return message;
		}

		void release() {
			if (borrowed > 0) {
				budget.release(borrowed);
				borrowed = 0;
			}
		}
	}

	/**
	 * A frame not read whole.
	 *
	 * @param head     its first bytes (at most {@link #FREE_BYTES}), to read the MSH from
	 * @param complete the rest of the frame was read and discarded: an answer can be written
	 */
	record Refused(String head, Overflow why, boolean complete) implements Read {}

	/** The peer closed the connection, or sent something that is not MLLP: nothing to answer. */
	record Closed() implements Read {}

	private final InputStream in;
	private final int maxBytes;
	private final int maxSegments;
	private final Semaphore budget;
	private final Duration wait;
	private final byte[] chunk = new byte[8192];
	private int pos;
	private int lim;

	/**
	 * @param budget shared by all connections, in bytes; what frames hold beyond {@link #FREE_BYTES}
	 * @param wait   how long a frame waits for its share of the budget, and the longest a refused frame's rest
	 *               is read for
	 */
	MllpFrameReader(InputStream in, int maxBytes, int maxSegments, Semaphore budget, Duration wait) {
		this.in = in;
		this.maxBytes = maxBytes;
		this.maxSegments = maxSegments;
		this.budget = budget;
		this.wait = wait;
	}

	/** The next frame; a {@code SocketTimeoutException} when the peer sends nothing for the socket's timeout. */
	Read next() throws IOException {
		int b;
		int between = 0;
		while ((b = read()) != START) {
			if (b < 0 || ++between > MAX_BETWEEN_FRAMES) {
				return new Closed();
			}
		}
		byte[] buf = new byte[Math.min(8192, maxBytes)];
		int len = 0;
		int segments = 0;
		int borrowed = 0;
		boolean lineStart = true;
		Overflow why;
		try {
			while (true) {
				b = read();
				if (b < 0) {
					return new Closed();
				}
				if (b == END) {
					if (pos < lim && chunk[pos] == CR) {
						pos++;
					}
					// Otherwise the CR is still on its way; it is skipped before the next frame.
					Frame frame = new Frame(new String(buf, 0, len, StandardCharsets.UTF_8), budget, borrowed);
					borrowed = 0;
					return frame;
				}
				if (b == CR || b == LF) {
					lineStart = true;
				} else if (lineStart) {
					lineStart = false;
					if (++segments > maxSegments) {
						why = Overflow.SEGMENTS;
						break;
					}
				}
				if (len == buf.length) {
					if (len == maxBytes) {
						why = Overflow.SIZE;
						break;
					}
					int grown = (int) Math.min((long) buf.length * 2, maxBytes);
					int more = Math.max(grown, FREE_BYTES) - Math.max(buf.length, FREE_BYTES);
					if (more > 0) {
						if (!acquire(more)) {
							why = Overflow.BUSY;
							break;
						}
						borrowed += more;
					}
					buf = Arrays.copyOf(buf, grown);
				}
				buf[len++] = (byte) b;
			}
			String head = new String(buf, 0, Math.min(len, FREE_BYTES), StandardCharsets.UTF_8);
			buf = null; // the frame is refused: its buffer and its share of the budget go before its rest is read
			budget.release(borrowed);
			borrowed = 0;
			return discardRest(head, why);
		} finally {
			if (borrowed > 0) {
				budget.release(borrowed);
			}
		}
	}

	private boolean acquire(int bytes) throws IOException {
		try {
			return budget.tryAcquire(bytes, wait.toMillis(), TimeUnit.MILLISECONDS);
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			throw new java.io.InterruptedIOException("interrupted while waiting for the MLLP buffer budget");
		}
	}

	/** Reads a refused frame's rest to its end and throws it away, for at most the wait. */
	private Refused discardRest(String head, Overflow why) throws IOException {
		long deadline = System.nanoTime() + wait.toNanos();
		while (true) {
			for (int i = pos; i < lim; i++) {
				if (chunk[i] == END) {
					pos = i + 1;
					if (pos < lim && chunk[pos] == CR) {
						pos++;
					}
					return new Refused(head, why, true);
				}
			}
			pos = lim;
			if (System.nanoTime() > deadline || !fill()) {
				return new Refused(head, why, false);
			}
		}
	}

	private int read() throws IOException {
		if (pos == lim && !fill()) {
			return -1;
		}
		return chunk[pos++] & 0xFF;
	}

	private boolean fill() throws IOException {
		int n = in.read(chunk, 0, chunk.length);
		pos = 0;
		lim = Math.max(n, 0);
		return n > 0;
	}
}

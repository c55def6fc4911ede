package org.bonemarrow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The server's resident memory from /proc/&lt;pid&gt;/status (Linux): VmRSS now and VmHWM, the kernel's
 * own peak of VmRSS over the process's life, so no sampling thread is needed to catch the peak.
 */
final class ResidentMemory {

	private final OptionalLong pid;

	ResidentMemory(OptionalLong pid) {
		this.pid = pid;
	}

	/** "peak / now" in MiB, or n/a without a pid. */
	String describe() {
		if (pid.isEmpty()) {
			return "n/a (no --pid)";
		}
		OptionalLong hwm = kib("VmHWM:");
		OptionalLong rss = kib("VmRSS:");
		if (hwm.isEmpty() || rss.isEmpty()) {
			return "n/a";
		}
		return (hwm.getAsLong() / 1024) + " / " + (rss.getAsLong() / 1024);
	}

	private OptionalLong kib(String field) {
		try {
			for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid.getAsLong()), "status"))) {
				if (line.startsWith(field)) {
					return OptionalLong.of(Long.parseLong(line.substring(field.length()).replace("kB", "").trim()));
				}
			}
		} catch (IOException | NumberFormatException e) {
			// Process gone or not Linux: reported as n/a.
		}
		return OptionalLong.empty();
	}
}

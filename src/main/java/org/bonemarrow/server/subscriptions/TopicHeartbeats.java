package org.bonemarrow.server.subscriptions;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Heartbeats (Backport IG, backport-heartbeat-period): an active topic Subscription with a period over which
 * nothing was sent to it gets a {@code heartbeat} notification, so its receiver can tell a quiet topic from a
 * broken link. Looked for every {@code tick}; each due heartbeat is claimed in the database first, so with
 * several instances only one sends it. Sent once and not retried: the next one is a period later, and a
 * failing endpoint shows in the Subscription's status through its events.
 */
public class TopicHeartbeats implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(TopicHeartbeats.class);

	private final TopicEventStore store;
	private final TopicChannel channel;
	private final Duration tick;
	private ScheduledExecutorService timer;

	public TopicHeartbeats(TopicEventStore store, TopicChannel channel, Duration tick) {
		this.store = store;
		this.channel = channel;
		this.tick = tick;
	}

	void beat() {
		try {
			for (String subscription : store.heartbeatsDue()) {
				if (store.claimHeartbeat(subscription)) {
					channel.heartbeat(subscription);
				}
			}
		} catch (RuntimeException e) {
			log.warn("Topic heartbeats: {}; trying again in {}", e.getClass().getSimpleName(), tick);
		}
	}

	@Override
	public void start() {
		timer = Executors.newSingleThreadScheduledExecutor(r -> {
			Thread t = new Thread(r, "topic-heartbeats");
			t.setDaemon(true);
			return t;
		});
		timer.scheduleWithFixedDelay(this::beat, tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
	}

	@Override
	public void stop() {
		if (timer != null) {
			timer.shutdownNow();
			timer = null;
		}
	}

	@Override
	public boolean isRunning() {
		return timer != null;
	}
}

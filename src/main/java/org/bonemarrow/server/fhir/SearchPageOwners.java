package org.bonemarrow.server.fhir;

import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.util.UrlUtil;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Which client may follow which search's page links ({@code /fhir?_getpages=<search id>}).
 *
 * <p>Why a table of our own in the FHIR database: several instances serve one PostgreSQL database and a
 * client's next page may land on any of them, so an in-memory map is not enough; HAPI's own HFJ_SEARCH
 * row does not record who searched; and signing the page links (an HMAC of client and search id) would
 * need a key shared by every instance, which the instances do not have (each may have its own data
 * folder). A row per (search id, client) also copes with HAPI handing the same stored search to two
 * clients who sent the same search (search reuse, {@code bonemarrow.fhir.search-cache-reuse-millis}):
 * each of them owns it.
 *
 * <p>A row is written (or refreshed) whenever a response carrying page links goes to a client, and is
 * deleted once unused for twice HAPI's search expiry (HAPI has forgotten the search by then; its page
 * links answer 410 to the owner and 403 to everybody else either way). Created if missing, with SQL
 * that H2 and PostgreSQL both accept.
 */
@Component
public class SearchPageOwners {

	private static final Logger log = LoggerFactory.getLogger(SearchPageOwners.class);
	static final String TABLE = "BME_SEARCH_PAGE_OWNER";
	private static final int MAX_ID = 100;
	private static final Duration CLEANUP_EVERY = Duration.ofMinutes(10);

	private final JdbcTemplate jdbc;
	private final Duration keep;
	private final Clock clock;
	private final AtomicReference<Instant> lastCleanup = new AtomicReference<>(Instant.EPOCH);

	@Autowired
	public SearchPageOwners(DataSource dataSource, JpaStorageSettings settings) {
		this(new JdbcTemplate(dataSource), Duration.ofMillis(2 * Math.max(settings.getExpireSearchResultsAfterMillis(),
				Duration.ofMinutes(30).toMillis())), Clock.systemUTC());
	}

	SearchPageOwners(JdbcTemplate jdbc, Duration keep, Clock clock) {
		this.jdbc = jdbc;
		this.keep = keep;
		this.clock = clock;
		createTableIfMissing();
	}

	private void createTableIfMissing() {
		try {
			jdbc.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (SEARCH_ID VARCHAR(" + MAX_ID + ") NOT NULL,"
					+ " CLIENT VARCHAR(64) NOT NULL, LAST_USED TIMESTAMP NOT NULL, PRIMARY KEY (SEARCH_ID, CLIENT))");
			jdbc.execute("CREATE INDEX IF NOT EXISTS " + TABLE + "_USED ON " + TABLE + " (LAST_USED)");
		} catch (DataAccessException e) {
			// Two instances starting together over PostgreSQL may race on CREATE TABLE IF NOT EXISTS.
			jdbc.queryForObject("SELECT COUNT(*) FROM " + TABLE, Integer.class);
		}
	}

	/** Records that the client was given the page links in this response (a searchset, or batch results). */
	public void recordLinks(IBaseResource response, String clientId) {
		for (String searchId : pageIds(response)) {
			try {
				record(searchId, clientId);
			} catch (DataAccessException e) {
				// The results are sound; only their next pages will be refused to this client.
				log.warn("Could not record who may follow the page links of search {}: {}", searchId, e.toString());
			}
		}
	}

	/** True when the search's page links were given to this client and are not forgotten yet. */
	public boolean owns(String searchId, String clientId) {
		if (searchId == null || searchId.length() > MAX_ID) {
			return false;
		}
		Integer n = jdbc.queryForObject("SELECT COUNT(*) FROM " + TABLE + " WHERE SEARCH_ID = ? AND CLIENT = ?",
				Integer.class, searchId, client(clientId));
		return n != null && n > 0;
	}

	void record(String searchId, String clientId) {
		if (searchId.length() > MAX_ID) {
			return; // not one of HAPI's search ids; following it is refused
		}
		Timestamp now = Timestamp.from(clock.instant());
		String client = client(clientId);
		int updated = jdbc.update("UPDATE " + TABLE + " SET LAST_USED = ? WHERE SEARCH_ID = ? AND CLIENT = ?",
				now, searchId, client);
		if (updated == 0) {
			try {
				jdbc.update("INSERT INTO " + TABLE + " (SEARCH_ID, CLIENT, LAST_USED) VALUES (?, ?, ?)", searchId, client, now);
			} catch (DataIntegrityViolationException concurrent) {
				// The same client's parallel request recorded it first: that is the row we wanted.
			}
		}
		cleanUpNowAndThen();
	}

	private void cleanUpNowAndThen() {
		Instant now = clock.instant();
		Instant last = lastCleanup.get();
		if (now.isBefore(last.plus(CLEANUP_EVERY)) || !lastCleanup.compareAndSet(last, now)) {
			return;
		}
		int deleted = jdbc.update("DELETE FROM " + TABLE + " WHERE LAST_USED < ?", Timestamp.from(now.minus(keep)));
		if (deleted > 0) {
			log.debug("Forgot the owners of {} expired searches", deleted);
		}
	}

	/** The search ids ({@code _getpages}) of every page link in the response and in the bundles it holds. */
	static Set<String> pageIds(IBaseResource response) {
		Set<String> ids = new LinkedHashSet<>();
		if (response instanceof Bundle bundle) {
			for (Bundle.BundleLinkComponent link : bundle.getLink()) {
				String url = link.getUrl();
				int question = url == null ? -1 : url.indexOf('?');
				if (question >= 0) {
					String[] id = UrlUtil.parseQueryString(url.substring(question + 1)).get(Constants.PARAM_PAGINGACTION);
					if (id != null && id.length > 0 && !id[0].isBlank()) {
						ids.add(id[0]);
					}
				}
			}
			for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
				if (entry.getResource() instanceof Bundle inner) {
					ids.addAll(pageIds(inner));
				}
			}
		}
		return ids;
	}

	/** Client ids are short; an unusually long one (an external provider's) is stored as its digest. */
	private static String client(String clientId) {
		if (clientId.length() <= 64) {
			return clientId;
		}
		try {
			byte[] digest = MessageDigest.getInstance("SHA-256").digest(clientId.getBytes(StandardCharsets.UTF_8));
			return HexFormat.of().formatHex(digest);
		} catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException(e);
		}
	}
}

package org.bonemarrow.server.delivery;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.subscription.match.registry.SubscriptionLoader;
import javax.sql.DataSource;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Keeps this instance's Subscription registry as fresh as the database before a write is matched against it.
 *
 * <p>Why: the outbox matches each write against HAPI's in-memory registry of active Subscriptions on the
 * instance that handles the write. HAPI refreshes that registry from the database once a minute, so with
 * several instances a Subscription activated on one would be unknown to the others for up to a minute, and
 * a result stored through them in that time would owe it nothing: a lost notification. So every write of a
 * Subscription (on any instance) bumps a counter in {@value #TABLE}, in its own transaction; before an
 * instance matches a write, it reads the counter (one primary-key read per transaction) and, when it has
 * moved since the registry was last loaded here, reloads the registry first (HAPI's own loader).
 */
@Interceptor
public class SubscriptionRegistryFreshness {

	private static final Logger log = LoggerFactory.getLogger(SubscriptionRegistryFreshness.class);
	static final String TABLE = "BME_SUBSCRIPTION_EPOCH";
	private static final Object CHECKED_IN_TRANSACTION = new Object();

	private final FhirContext fhirContext;
	private final JdbcTemplate jdbc;
	private final SubscriptionLoader loader;
	private volatile long loadedEpoch = Long.MIN_VALUE;

	public SubscriptionRegistryFreshness(FhirContext fhirContext, DataSource dataSource, SubscriptionLoader loader) {
		this.fhirContext = fhirContext;
		this.jdbc = new JdbcTemplate(dataSource);
		this.loader = loader;
		createTableIfMissing();
	}

	private void createTableIfMissing() {
		try {
			jdbc.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (ID INT PRIMARY KEY, EPOCH BIGINT NOT NULL)");
			if (jdbc.queryForObject("SELECT COUNT(*) FROM " + TABLE, Integer.class) == 0) {
				jdbc.update("INSERT INTO " + TABLE + " (ID, EPOCH) VALUES (1, 0)");
			}
		} catch (DataAccessException e) {
			// Two instances starting together may race on the table or its one row: either way it is there now.
			jdbc.queryForObject("SELECT EPOCH FROM " + TABLE + " WHERE ID = 1", Long.class);
		}
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED)
	public void created(IBaseResource resource) {
		bumpIfSubscription(resource);
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED)
	public void updated(IBaseResource oldResource, IBaseResource newResource) {
		bumpIfSubscription(newResource);
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_DELETED)
	public void deleted(IBaseResource resource) {
		bumpIfSubscription(resource);
	}

	private void bumpIfSubscription(IBaseResource resource) {
		if ("Subscription".equals(fhirContext.getResourceType(resource))) {
			jdbc.update("UPDATE " + TABLE + " SET EPOCH = EPOCH + 1 WHERE ID = 1");
		}
	}

	/** Reloads the registry if a Subscription changed anywhere since it was last loaded here (once per transaction). */
	public void ensureFresh() {
		if (TransactionSynchronizationManager.isSynchronizationActive()) {
			if (TransactionSynchronizationManager.hasResource(CHECKED_IN_TRANSACTION)) {
				return;
			}
			TransactionSynchronizationManager.bindResource(CHECKED_IN_TRANSACTION, Boolean.TRUE);
			TransactionSynchronizationManager.registerSynchronization(new org.springframework.transaction.support.TransactionSynchronization() {
				@Override
				public void afterCompletion(int status) {
					TransactionSynchronizationManager.unbindResourceIfPossible(CHECKED_IN_TRANSACTION);
				}
			});
		}
		Long epoch = jdbc.queryForObject("SELECT EPOCH FROM " + TABLE + " WHERE ID = 1", Long.class);
		if (epoch != null && epoch != loadedEpoch) {
			synchronized (this) {
				if (epoch != loadedEpoch) {
					try {
						loader.forceRefresh();
						loadedEpoch = epoch;
						log.debug("Subscription registry reloaded (epoch {})", epoch);
					} catch (RuntimeException e) {
						// Never fail the write over it: the registry stays as HAPI last loaded it (its own refresh
						// follows within a minute), and the next write tries again.
						log.warn("Subscription registry not reloaded ({}); matching against the last loaded one",
								e.getClass().getSimpleName());
					}
				}
			}
		}
	}
}

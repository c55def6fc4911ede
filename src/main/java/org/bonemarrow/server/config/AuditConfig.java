package org.bonemarrow.server.config;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.dao.tx.IHapiTransactionService;
import ca.uhn.fhir.storage.interceptor.balp.BalpAuditCaptureInterceptor;
import jakarta.persistence.EntityManager;
import javax.sql.DataSource;
import org.bonemarrow.server.fhir.FhirServerCustomizer;
import org.bonemarrow.server.security.audit.AuditContext;
import org.bonemarrow.server.security.audit.AuditEventsNotSubscribable;
import org.bonemarrow.server.security.audit.AuditTrailNeverBlocksDelete;
import org.bonemarrow.server.security.audit.AuditOutbox;
import org.bonemarrow.server.security.audit.AuditTrail;
import org.bonemarrow.server.security.audit.EmptySearchAudit;
import org.bonemarrow.server.security.audit.FailedInteractionAudit;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The audit trail: HAPI's BALP interceptor records every successful read, search, create, update and
 * delete (IHE Basic Audit Log Patterns); {@link FailedInteractionAudit} records the refused and failed
 * ones, and {@link EmptySearchAudit} the searches that found nothing (BALP only sees shown resources). Both feed {@link AuditTrail}, which stores AuditEvents in this server's database (those of
 * writes through {@link AuditOutbox}, in the write's own transaction), readable only with a scope naming
 * AuditEvent.
 */
@Configuration
@ConditionalOnProperty(name = "bonemarrow.security.enabled", havingValue = "true", matchIfMissing = true)
public class AuditConfig {

	/**
	 * Also on HAPI's JPA interceptor service: it learns of every writing transaction before the commit
	 * begins, so the transaction's AuditEvents go into the audit outbox within it.
	 */
	@Bean
	AuditTrail auditTrail(DaoRegistry daos, IHapiTransactionService transactions, EntityManager entityManager,
			FhirContext fhirContext, DataSource dataSource, IInterceptorService jpaInterceptors) {
		AuditTrail trail = new AuditTrail(daos, transactions, entityManager, fhirContext, new AuditOutbox(dataSource));
		jpaInterceptors.registerInterceptor(trail);
		return trail;
	}

	/** On HAPI's JPA interceptor service: the subscription submitter's hooks are called there. */
	@Bean
	AuditEventsNotSubscribable auditEventsNotSubscribable(FhirContext fhirContext, IInterceptorService jpaInterceptors) {
		AuditEventsNotSubscribable interceptor = new AuditEventsNotSubscribable(fhirContext);
		jpaInterceptors.registerInterceptor(interceptor);
		return interceptor;
	}

	@Bean
	AuditTrailNeverBlocksDelete auditTrailNeverBlocksDelete(IInterceptorService jpaInterceptors) {
		AuditTrailNeverBlocksDelete interceptor = new AuditTrailNeverBlocksDelete();
		jpaInterceptors.registerInterceptor(interceptor);
		return interceptor;
	}

	@Bean
	FhirServerCustomizer auditInterceptors(AuditTrail trail) {
		return server -> {
			server.registerInterceptor(new BalpAuditCaptureInterceptor(trail, new AuditContext()));
			server.registerInterceptor(new FailedInteractionAudit(trail));
			server.registerInterceptor(new EmptySearchAudit(trail));
		};
	}
}

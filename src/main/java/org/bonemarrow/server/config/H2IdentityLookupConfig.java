package org.bonemarrow.server.config;

import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.api.svc.ResolveIdentityMode;
import ca.uhn.fhir.jpa.dao.index.IdHelperService;
import ca.uhn.fhir.jpa.model.cross.IResourceLookup;
import ca.uhn.fhir.jpa.model.dao.JpaPid;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.instance.model.api.IIdType;
import org.springframework.beans.factory.support.AbstractBeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * H2 only: HAPI's resource-identity lookups by FHIR id, one indexed query per id.
 * <p>
 * HAPI resolves several ids at once (every reference by id in a transaction, before it writes;
 * {@code _id=a,b}; version checks) with one query {@code WHERE (RES_TYPE=? AND FHIR_ID=?) OR (...)}.
 * PostgreSQL answers that from the {@code (RES_TYPE, FHIR_ID)} index. H2 2.3 cannot use an index for an OR
 * of ANDs and scans every row of HFJ_RESOURCE ({@code EXPLAIN} says {@code tableScan}), so the lab's report
 * transaction, which references the order, patient and practitioners by id, grew with the database: p50
 * 0.4 s at 300 exams, 2.0 s at 6,000 (BENCHMARKS.md). Asked one id at a time, each lookup is the single
 * {@code RES_TYPE=? AND FHIR_ID=?} query H2 answers from the index; in-process H2 makes the extra round
 * trips nearly free. HAPI's own cache, deleted-resource and partition rules are untouched: every id still
 * goes through {@link IdHelperService#resolveResourceIdentities}.
 * <p>
 * HAPI defines the bean in {@code JpaConfig#idHelperService()} with no extension point, so its definition
 * is given our instance supplier before any bean is created. {@code bonemarrow.h2-indexed-id-lookups=false}
 * (stock mode) keeps HAPI's.
 */
@Configuration
@ConditionalOnExpression("'${spring.datasource.url:}'.startsWith('jdbc:h2:')")
@ConditionalOnProperty(name = "bonemarrow.h2-indexed-id-lookups", havingValue = "true", matchIfMissing = true)
public class H2IdentityLookupConfig {

	/** The bean name HAPI's {@code JpaConfig} gives its {@link IdHelperService}. */
	static final String HAPI_BEAN_NAME = "idHelperService";

	@Bean
	static BeanDefinitionRegistryPostProcessor oneIdPerLookup() {
		return H2IdentityLookupConfig::supplyOurInstance;
	}

	/**
	 * HAPI's bean definition stays (its name, and its raw {@code IIdHelperService} type, which HAPI injects
	 * under several generic signatures); only the instance it makes is ours. A context without HAPI's JPA
	 * configuration is left alone.
	 */
	static void supplyOurInstance(BeanDefinitionRegistry registry) {
		if (registry.containsBeanDefinition(HAPI_BEAN_NAME)
				&& registry.getBeanDefinition(HAPI_BEAN_NAME) instanceof AbstractBeanDefinition hapis) {
			hapis.setInstanceSupplier(OneIdPerLookupIdHelperService::new);
		}
	}

	/** HAPI's service; several ids are resolved as that many single-id calls. */
	public static class OneIdPerLookupIdHelperService extends IdHelperService {

		@Override
		public Map<IIdType, IResourceLookup<JpaPid>> resolveResourceIdentities(
				RequestPartitionId partition, Collection<IIdType> ids, ResolveIdentityMode mode) {
			if (ids.size() < 2) {
				return super.resolveResourceIdentities(partition, ids, mode);
			}
			Map<IIdType, IResourceLookup<JpaPid>> resolved = new HashMap<>(ids.size() * 2);
			for (IIdType id : ids) {
				// Keyed by the versionless id, as HAPI's own answer is: two inputs naming one resource give one entry.
				resolved.putAll(super.resolveResourceIdentities(partition, List.of(id), mode));
			}
			return resolved;
		}
	}
}

package org.bonemarrow.server.v2;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.UriParam;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.ConceptMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The gateway's code maps: FHIR ConceptMaps stored in the server (so they are served, searchable and
 * answer {@code ConceptMap/$translate} like any other), named by canonical url in
 * {@code bonemarrow.v2.code-maps}: {@code standard} maps apply to every sender, {@code senders.<MSH-3>} to
 * one. At start-up every {@code *.json} ConceptMap in {@code bonemarrow.v2.code-maps.directory} is created,
 * or updated when a ConceptMap with its url is stored already. A map can also be POSTed or PUT over FHIR;
 * the gateway reads each map from the stored resource (the same content {@code $translate} uses) and keeps
 * it until a ConceptMap is written again.
 */
@Component
@Interceptor
public class V2CodeMaps implements SmartInitializingSingleton {

	private static final Logger log = LoggerFactory.getLogger(V2CodeMaps.class);

	private final V2Properties.CodeMaps config;
	private final DaoRegistry daos;
	private final FhirContext fhirContext;
	/**
	 * How long a map read from the database is used before it is read again. Writes through this instance
	 * clear the cache at once; this bounds how long a map another instance changed (docs/scaling.md) stays old.
	 */
	private static final long MAX_AGE_MILLIS = 60_000;

	/** Each configured map by url, as last read from the database; emptied whenever a ConceptMap is written. */
	private final Map<String, Cached> byUrl = new ConcurrentHashMap<>();

	private record Cached(ConceptMapIndex index, long readAt) {}

	public V2CodeMaps(V2Properties properties, DaoRegistry daos, FhirContext fhirContext, IInterceptorService jpaInterceptors) {
		this.config = properties.codeMaps();
		this.daos = daos;
		this.fhirContext = fhirContext;
		jpaInterceptors.registerInterceptor(this);
	}

	/** The maps in force for a sender (MSH-3): its own first, then the standard ones. */
	public CodeTranslator forSender(String sender) {
		String name = sender == null || sender.isBlank() ? null : sender.trim();
		ConceptMapIndex index = ConceptMapIndex.EMPTY;
		for (String url : config.mapsFor(name)) {
			index = index.then(index(url));
		}
		ConceptMapIndex maps = index;
		return new CodeTranslator() {
			@Override
			public String localSystem(String v2Name) {
				return name == null ? null : V2Codes.localSystem(name, v2Name);
			}

			@Override
			public List<Coding> translate(String system, String code) {
				return maps.translate(system, code);
			}
		};
	}

	private ConceptMapIndex index(String url) {
		long now = System.currentTimeMillis();
		Cached cached = byUrl.compute(url, (u, old) -> old != null && now - old.readAt() < MAX_AGE_MILLIS
				? old : new Cached(ConceptMapIndex.of(stored(u)), now));
		return cached.index();
	}

	private List<ConceptMap> stored(String url) {
		IFhirResourceDao<ConceptMap> dao = daos.getResourceDao(ConceptMap.class);
		SearchParameterMap byUrl = SearchParameterMap.newSynchronous("url", new UriParam(url));
		List<IBaseResource> found = dao.search(byUrl, new SystemRequestDetails()).getResources(0, 10);
		return found.stream().map(ConceptMap.class::cast).toList();
	}

	/** Whenever a ConceptMap is stored, changed or deleted, every map is read again on its next use. */
	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED)
	public void created(IBaseResource resource) {
		changed(resource);
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED)
	public void updated(IBaseResource previous, IBaseResource resource) {
		changed(resource);
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_DELETED)
	public void deleted(IBaseResource resource) {
		changed(resource);
	}

	private void changed(IBaseResource resource) {
		if (!(resource instanceof ConceptMap)) {
			return;
		}
		byUrl.clear();
		// Again once committed: a message read between now and the commit must not keep the old version.
		if (TransactionSynchronizationManager.isSynchronizationActive()) {
			TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
				@Override
				public void afterCompletion(int status) {
					byUrl.clear();
				}
			});
		}
	}

	@Override
	public void afterSingletonsInstantiated() {
		if (config.directory() != null && !config.directory().isBlank()) {
			loadDirectory(Path.of(config.directory().trim()));
		}
	}

	/** Creates or updates (by url) each ConceptMap file of the directory; a file that is not one stops start-up. */
	void loadDirectory(Path dir) {
		if (!Files.isDirectory(dir)) {
			throw new IllegalStateException("bonemarrow.v2.code-maps.directory " + dir + " is not a directory");
		}
		IFhirResourceDao<ConceptMap> dao = daos.getResourceDao(ConceptMap.class);
		List<Path> files = new ArrayList<>();
		try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.json")) {
			s.forEach(files::add);
		} catch (IOException e) {
			throw new IllegalStateException("Cannot read bonemarrow.v2.code-maps.directory " + dir, e);
		}
		files.sort(null);
		for (Path file : files) {
			ConceptMap map;
			try {
				IBaseResource parsed = fhirContext.newJsonParser().parseResource(Files.readString(file, StandardCharsets.UTF_8));
				if (!(parsed instanceof ConceptMap cm) || !cm.hasUrl()) {
					throw new IllegalStateException(file + " is not a ConceptMap with a url");
				}
				map = cm;
			} catch (IOException | ca.uhn.fhir.parser.DataFormatException e) {
				throw new IllegalStateException("Cannot read code map " + file + ": " + e.getMessage(), e);
			}
			List<ConceptMap> existing = stored(map.getUrl());
			if (existing.isEmpty()) {
				map.setId((String) null);
				dao.create(map, new SystemRequestDetails());
			} else {
				map.setId(existing.get(0).getIdElement().toUnqualifiedVersionless());
				dao.update(map, new SystemRequestDetails());
			}
			log.info("HL7 v2 code map {} loaded from {}", map.getUrl(), file.getFileName());
		}
		byUrl.clear();
	}
}

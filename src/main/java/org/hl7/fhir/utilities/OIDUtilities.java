package org.hl7.fhir.utilities;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import org.hl7.fhir.exceptions.FHIRException;

/**
 * PERFORMANCE SHADOW of {@code org.hl7.fhir.utilities.OIDUtilities} from org.hl7.fhir.utilities 6.7.9 (the
 * version HAPI FHIR 8.8.0 uses). Same public API and the same answers; the only difference is that the
 * 1.5 MB {@code oidregistry.csv} is parsed once per JVM instead of once per instance.
 *
 * <p>Why: HAPI's {@code ValidatorWrapper} builds a new {@code InstanceValidator} for every resource it
 * validates, and that constructor does {@code new OIDUtilities()}, which re-read and re-parsed the whole
 * 21,000-line registry each time. Profiled under the benchmark (BENCHMARKS.md), that was 18% of all server
 * CPU during exam ingest, more than the validation itself. The registry is a read-only resource of the
 * library jar, so sharing one parsed, unmodifiable map changes nothing but the cost.
 *
 * <p>This class sits in our own classes, which come before the library jars on every classpath we run on
 * (Spring Boot's BOOT-INF/classes, Maven's target/classes). {@code OidUtilitiesShadowTest} fails when the
 * library version changes, so the copy is re-checked against the new original on every HAPI upgrade.
 */
public class OIDUtilities {

  private static final String OID_REGEX = "[0-2](\\.(0|[1-9][0-9]*))+";

  /** Parsed on first use, then shared by every instance. */
  private static volatile Map<String, OIDInfo> sharedOidMap;

  private final Map<String, OIDInfo> oidMap;

  public OIDUtilities() {
    this.oidMap = registry();
  }

  private static Map<String, OIDInfo> registry() {
    Map<String, OIDInfo> map = sharedOidMap;
    if (map == null) {
      synchronized (OIDUtilities.class) {
        map = sharedOidMap;
        if (map == null) {
          map = Collections.unmodifiableMap(loadOIDsFromCSV());
          sharedOidMap = map;
        }
      }
    }
    return map;
  }

  /** As the original: header line skipped; rows with fewer than four non-trailing-empty columns ignored. */
  private static Map<String, OIDInfo> loadOIDsFromCSV() throws FHIRException {
    Map<String, OIDInfo> map = new HashMap<>();
    try (InputStream in = OIDUtilities.class.getClassLoader().getResourceAsStream("oidregistry.csv");
        BufferedReader reader = new BufferedReader(new InputStreamReader(in))) {
      boolean header = true;
      String line;
      while ((line = reader.readLine()) != null) {
        if (header) {
          header = false;
          continue;
        }
        String[] parts = line.split(",");
        if (parts.length >= 4) {
          OIDInfo info = new OIDInfo();
          info.setOid(parts[0].trim());
          info.setType(Integer.parseInt(parts[1].trim()));
          info.setName(parts[2].trim());
          info.setCodeSystem(parts[3].trim());
          map.put(info.getOid(), info);
        }
      }
    } catch (Exception e) {
      throw new FHIRException(e);
    }
    return map;
  }

  public static String getUriForOid(String r) {
    if (r == null) {
      return null;
    }
    if (r.equals("2.16.840.1.113883.6.96")) {
      return "http://snomed.info/sct";
    }
    if (r.equals("2.16.840.1.113883.6.1")) {
      return "http://loinc.org";
    }
    if (r.equals("2.16.840.1.113883.6.8")) {
      return "http://unitsofmeasure.org";
    }
    if (r.equals("2.16.840.1.113883.6.3")) {
      return "http://hl7.org/fhir/sid/icd-10";
    }
    if (r.equals("2.16.840.1.113883.6.42")) {
      return "http://hl7.org/fhir/sid/icd-9";
    }
    if (r.equals("2.16.840.1.113883.6.104")) {
      return "http://hl7.org/fhir/sid/icd-9";
    }
    if (r.equals("2.16.840.1.113883.6.103")) {
      return "http://hl7.org/fhir/sid/icd-9";
    }
    if (r.equals("2.16.840.1.113883.6.73")) {
      return "http://www.whocc.no/atc";
    }
    if (r.equals("2.16.840.1.113883.3.26.1.1")) {
      return "http://ncimeta.nci.nih.gov";
    }
    if (r.equals("2.16.840.1.113883.3.26.1.1.1")) {
      return "http://ncimeta.nci.nih.gov";
    }
    if (r.equals("2.16.840.1.113883.6.88")) {
      return "http://www.nlm.nih.gov/research/umls/rxnorm";
    }
    if (r.equals("2.16.840.1.113883.6.59")) {
      return "http://hl7.org/fhir/sid/cvx";
    }
    if (r.equals("2.16.840.1.113883.12.292")) {
      return "http://hl7.org/fhir/sid/cvx";
    }
    if (r.equals("2.16.840.1.113883.6.12")) {
      return "http://www.ama-assn.org/go/cpt";
    }
    return null;
  }

  public static String oidTail(String id) {
    if (id == null || !id.contains(".")) {
      return id;
    }
    return id.substring(id.lastIndexOf(".") + 1);
  }

  public static String oidRoot(String id) {
    if (id == null || !id.contains(".")) {
      return id;
    }
    return id.substring(0, id.indexOf("."));
  }

  public static boolean isValidOID(String oid) {
    return oid.matches(OID_REGEX);
  }

  public boolean isKnownOID(String url) {
    if (url == null || !url.startsWith("urn:oid:")) {
      return false;
    }
    return oidMap.containsKey(url.substring(8));
  }

  public static class OIDInfo {
    private String oid;
    private String name;
    private String codeSystem;
    private Integer type;

    public String getOid() {
      return oid;
    }

    public void setOid(String oid) {
      this.oid = oid;
    }

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public String getCodeSystem() {
      return codeSystem;
    }

    public void setCodeSystem(String codeSystem) {
      this.codeSystem = codeSystem;
    }

    public Integer getType() {
      return type;
    }

    public void setType(Integer type) {
      this.type = type;
    }

    @Override
    public String toString() {
      return "OID: " + oid + ", Name: " + name + ", CodeSystem: " + codeSystem + ", Type: " + type;
    }
  }
}

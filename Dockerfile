# syntax=docker/dockerfile:1
# Bone marrow exam FHIR server. Build: docker build -t bonemarrow-fhir .
# Run:   docker run -p 8080:8080 -v bonemarrow-data:/data bonemarrow-fhir

# ---- build stage: Maven with the JDK, dependencies cached in their own layer ----
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src src
COPY fhir-profiles fhir-profiles
RUN mvn -B -q package -DskipTests \
 && java -Djarmode=tools -jar target/bone-marrow-fhir-server.jar extract --layers --launcher --destination /layers

# ---- runtime stage: JRE only, non-root, layers from least to most often changed ----
FROM eclipse-temurin:17-jre
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
 && groupadd --system fhir && useradd --system --gid fhir --home /app fhir \
 && mkdir -p /data && chown fhir:fhir /data
WORKDIR /app
COPY --from=build /layers/dependencies/ ./
COPY --from=build /layers/spring-boot-loader/ ./
COPY --from=build /layers/snapshot-dependencies/ ./
COPY --from=build /layers/application/ ./
USER fhir
# H2 files live here; mount a volume to keep them.
VOLUME /data
# C1 only: on 2 cores the C2 compiler slowed start-up and ingest (BENCHMARKS.md, "JVM options").
ENV BONEMARROW_DATA_DIR=/data \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:TieredStopAtLevel=1"
# FHIR and OAuth on 8080; HL7 v2 over MLLP (2575) and MLLP over TLS (2576) when turned on.
EXPOSE 8080 2575 2576
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=4 \
  CMD curl -fsS http://localhost:8080/actuator/health/readiness || exit 1
ENTRYPOINT ["java", "org.springframework.boot.loader.launch.JarLauncher"]

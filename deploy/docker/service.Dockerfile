# One image recipe for the three services: docker compose builds it with MODULE=credit-api, usage-ingest or
# metering-streams. The build stage runs the same Maven wrapper as the README, without tests (CI runs those).
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -q install -DskipTests

FROM eclipse-temurin:17-jre
ARG MODULE
RUN useradd --system --uid 10001 metering \
    && mkdir -p /var/lib/metering-streams && chown metering /var/lib/metering-streams
COPY --from=build /src/${MODULE}/target/${MODULE}-*-exec.jar /app/service.jar
USER metering
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/app/service.jar"]

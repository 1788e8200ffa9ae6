# The migrations step of a deployment: the migrations jar with PostgreSQL's own pg_dump and psql (of the server's
# major version, which pg_dump requires) for the backup it takes first and the restore on failure.
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -q install -DskipTests -pl migrations -am

FROM postgres:15
RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /backups && chown postgres /backups
COPY --from=build /src/migrations/target/metering-migrations.jar /app/metering-migrations.jar
USER postgres
ENTRYPOINT ["java", "-jar", "/app/metering-migrations.jar"]

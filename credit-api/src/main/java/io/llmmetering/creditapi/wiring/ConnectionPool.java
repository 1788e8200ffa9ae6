package io.llmmetering.creditapi.wiring;

import com.zaxxer.hikari.HikariDataSource;
import org.springframework.boot.jdbc.autoconfigure.DataSourceProperties;

/**
 * PostgreSQL connections of their own beside the API's pool, so one kind of work can never take the connections
 * another needs. Not a DataSource bean: the API's pool stays Spring Boot's. Named in Hikari's metrics and logs.
 */
record ConnectionPool(HikariDataSource dataSource) implements AutoCloseable {

    /** {@code initSql} runs once on each new connection (null: none). */
    static ConnectionPool of(DataSourceProperties database, String name, int size, String initSql) {
        HikariDataSource pool = database.initializeDataSourceBuilder().type(HikariDataSource.class).build();
        pool.setPoolName(name);
        pool.setMaximumPoolSize(size);
        pool.setConnectionInitSql(initSql);
        return new ConnectionPool(pool);
    }

    @Override
    public void close() {
        dataSource.close();
    }
}

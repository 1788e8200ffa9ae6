package io.llmmetering.testsupport;

import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;

/** A database created for one test class on the local PostgreSQL server. */
public record TestDatabase(String host, int port, String name, String user) {

    public String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + name;
    }

    public DataSource dataSource() {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(jdbcUrl());
        dataSource.setUser(user);
        return dataSource;
    }

    public Connection connect() throws SQLException {
        return dataSource().getConnection();
    }
}

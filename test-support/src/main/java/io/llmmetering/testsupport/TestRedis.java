package io.llmmetering.testsupport;

/** A Redis logical database that belongs to one test class for its duration. */
public record TestRedis(String host, int port, int database) {

    /** A Lettuce URI, e.g. {@code redis://127.0.0.1:6379/7}. */
    public String uri() {
        return "redis://" + host + ":" + port + "/" + database;
    }
}

/**
 * credit-api: the REST API of the credit system (port 8084), the batch debit applier that moves
 * {@code credit.debits} into PostgreSQL exactly once, the rollup sink, and the Redis balance cache.
 * Built in its own issues on top of the schemas, metering-core and migrations.
 */
package io.llmmetering.creditapi;

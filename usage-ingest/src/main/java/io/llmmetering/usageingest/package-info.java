/**
 * usage-ingest: the HTTP front door for proxies (port 8085). Takes native JSON, CloudEvents and LiteLLM
 * usage payloads, validates and normalizes them, and publishes Avro {@code UsageEvent}s to
 * {@code usage.events} keyed by user id. Built in its own issue on top of the schemas and metering-core.
 */
package io.llmmetering.usageingest;

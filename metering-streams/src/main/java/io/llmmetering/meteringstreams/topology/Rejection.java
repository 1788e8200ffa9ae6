package io.llmmetering.meteringstreams.topology;

/** Why an event goes to the dead-letter topic: a stable code for machines and a message for people. */
record Rejection(String reason, String message) {
}

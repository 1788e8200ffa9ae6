package io.llmmetering.meteringstreams.topology;

import io.llmmetering.schemas.Debit;

/** A debit on its way to the rollup and spike processors. */
record PricedEvent(Debit debit) {
}

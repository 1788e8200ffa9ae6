package io.llmmetering.meteringstreams.topology;

/**
 * Where a processor of the topology sends what it passes and what it refuses: given to it by
 * {@link MeteringTopology#build}, so the whole graph, fan-out included, is written in that one method.
 *
 * @param name        the processor's own name (dead letters record it)
 * @param next        the child that receives what this step passes on
 * @param deadLetters the child that receives what it refuses
 */
record Step(String name, String next, String deadLetters) {
}

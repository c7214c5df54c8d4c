package dev.caption.service;

import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * A stage's batch size and processing time, {@code caption.batch.size} and {@code caption.batch.process} tagged with
 * the stage: the same two meters for the batch loop's stages and eval-service's scoring calls, which
 * {@code caption bench pipeline} reads from every service's {@code /q/metrics}.
 */
public final class BatchMeters {

    private final DistributionSummary batchSize;
    private final Timer processTime;

    public BatchMeters(MeterRegistry registry, String stage) {
        batchSize = DistributionSummary.builder("caption.batch.size").tag("stage", stage).register(registry);
        processTime = Timer.builder("caption.batch.process").tag("stage", stage).register(registry);
    }

    /** One batch of {@code records}, processed in {@code processNanos}. */
    public void record(int records, long processNanos) {
        batchSize.record(records);
        processTime.record(processNanos, TimeUnit.NANOSECONDS);
    }
}

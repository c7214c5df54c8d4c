package dev.caption.core.loop;

/**
 * One committed batch.
 *
 * @param records       input records in the batch
 * @param outputs       records produced to output topics
 * @param deadLetters   records sent to the DLQ
 * @param queueMillis   mean time the inputs waited in Kafka (poll time minus record timestamp)
 * @param collectNanos  time from the batch's first record to the end of collection (at most about maxWait)
 * @param processNanos  time in the processor, retries included
 * @param commitNanos   time to produce and commit the transaction
 */
public record BatchReport(int records, int outputs, int deadLetters, double queueMillis, long collectNanos,
                          long processNanos, long commitNanos) {
}

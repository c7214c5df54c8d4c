package dev.caption.core.loop;

/** Counters since the loop started. */
public record LoopStats(long recordsIn, long recordsOut, long deadLetters, long batches, long retries, long splits,
                        long abortedTransactions) {
}

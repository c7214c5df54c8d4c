package dev.caption.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class StageMetersTest {

    private static final String PAGE = """
            # HELP caption_batch_size \s
            # TYPE caption_batch_size summary
            caption_batch_size_count{stage="adapter"} 3.0
            caption_batch_size_sum{stage="adapter"} 24.0
            caption_batch_size_count{stage="llm"} 2
            caption_batch_size_sum{stage="llm"} 24
            # TYPE caption_batch_process_seconds summary
            caption_batch_process_seconds_count{stage="llm"} 2
            caption_batch_process_seconds_sum{stage="llm"} 41.5
            caption_batch_process_seconds_max{stage="llm"} 30.25
            caption_llm_tokens_total{stage="llm"} 768.0
            """;

    @Test
    void readsTheStagesOwnBatchMetersAndNotAnotherStagesOrTheMax() {
        assertEquals(new StageMeters(2, 24, 41.5), StageMeters.parse(PAGE, "llm"));
        assertEquals(new StageMeters(3, 24, 0), StageMeters.parse(PAGE, "adapter"));
    }

    @Test
    void aStageWithNoBatchesYetReadsAsNone() {
        assertEquals(StageMeters.NONE, StageMeters.parse(PAGE, "eval"));
    }

    @Test
    void theDifferenceOfTwoReadingsIsWhatHappenedBetween() {
        assertEquals(new StageMeters(1, 16, 30.0),
                new StageMeters(2, 24, 41.5).since(new StageMeters(1, 8, 11.5)));
    }
}

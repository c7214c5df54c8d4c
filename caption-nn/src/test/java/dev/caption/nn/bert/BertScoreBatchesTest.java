package dev.caption.nn.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

class BertScoreBatchesTest {

    @Test
    void sentencesOfSimilarLengthFillBatchesUpToTheBatchSize() {
        List<Integer> lengths = List.of(12, 12, 11, 10, 10, 9);
        assertEquals(List.of(List.of("a", "b", "c", "d"), List.of("e", "f")),
                BertScorer.batches(lengths, List.of("a", "b", "c", "d", "e", "f"), 4));
    }

    @Test
    void aLongCaptionDoesNotPadItsShortReferencesToItsLength() {
        // one 40-token caption, five 10-token references: two batches, not five references padded to 40
        List<Integer> lengths = List.of(40, 10, 10, 10, 10, 10);
        assertEquals(List.of(List.of("cap"), List.of("r1", "r2", "r3", "r4", "r5")),
                BertScorer.batches(lengths, List.of("cap", "r1", "r2", "r3", "r4", "r5"), 64));
    }

    @Test
    void aBatchEndsBeforeTheFirstSentenceUnderThreeQuartersOfItsLongest() {
        List<Integer> lengths = List.of(20, 16, 15, 14, 11, 10);
        assertEquals(List.of(List.of(20, 16, 15), List.of(14, 11), List.of(10)),
                BertScorer.batches(lengths, lengths, 64));
    }
}

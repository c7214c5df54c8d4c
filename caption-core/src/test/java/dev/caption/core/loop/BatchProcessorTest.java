package dev.caption.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class BatchProcessorTest {

    private static final List<ConsumerRecord<String, byte[]>> BATCH = List.of(record("a", "1"), record("b", "x"),
            record("c", "3"));

    @Test
    void checkThenBatchFailsBadRecordsAloneAndRunsTheRestTogetherInOrder() throws Exception {
        List<List<Integer>> runs = new java.util.ArrayList<>();
        BatchProcessor processor = BatchProcessor.checkThenBatch(
                r -> Integer.parseInt(new String(r.value(), StandardCharsets.UTF_8)),
                items -> {
                    runs.add(items);
                    return items.stream().map(i -> new ProducerRecord<String, byte[]>("out", "k" + i, new byte[i]))
                            .toList();
                });
        List<RecordOutcome> outcomes = processor.process(BATCH);
        assertEquals(List.of(List.of(1, 3)), runs, "one run over the good items");
        assertEquals("k1", ((RecordOutcome.Emit) outcomes.get(0)).records().get(0).key());
        assertInstanceOf(NumberFormatException.class, ((RecordOutcome.Fail) outcomes.get(1)).error());
        assertEquals("k3", ((RecordOutcome.Emit) outcomes.get(2)).records().get(0).key());
    }

    @Test
    void aBatchStepThatLosesOutputsFailsTheWholeBatch() {
        BatchProcessor processor = BatchProcessor.checkThenBatch(r -> r.key(), items -> List.of());
        assertThrows(IllegalStateException.class, () -> processor.process(BATCH));
    }

    private static ConsumerRecord<String, byte[]> record(String key, String value) {
        return new ConsumerRecord<>("in", 0, 0L, key, value.getBytes(StandardCharsets.UTF_8));
    }
}

package dev.caption.broker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * For bad-input tests: each input record is tagged with the row of the matrix it stands for, in a header that the
 * dead-letter topic keeps, so that a dead letter (keyless ones included) is found again by its row.
 */
public final class MatrixRows {

    public static final String HEADER = "matrix-row";

    private MatrixRows() {
    }

    /** {@code record}, tagged as {@code row}. */
    public static <K> ProducerRecord<K, byte[]> tag(ProducerRecord<K, byte[]> record, String row) {
        record.headers().add(HEADER, row.getBytes(StandardCharsets.UTF_8));
        return record;
    }

    /** The tagged records of {@code topic}, read_committed from the beginning, until {@code count} arrived. */
    public static List<ConsumerRecord<String, byte[]>> readTagged(String bootstrap, String topic, int count, Duration timeout) {
        return CommittedRecords.read(bootstrap, topic, r -> r.headers().lastHeader(HEADER) != null, count, timeout);
    }

    /** Row to {@code value} of the record tagged with it. */
    public static Map<String, String> byRow(List<ConsumerRecord<String, byte[]>> records,
                                            Function<ConsumerRecord<String, byte[]>, String> value) {
        Map<String, String> out = new LinkedHashMap<>();
        records.forEach(r -> out.put(new String(r.headers().lastHeader(HEADER).value(), StandardCharsets.UTF_8), value.apply(r)));
        return out;
    }
}

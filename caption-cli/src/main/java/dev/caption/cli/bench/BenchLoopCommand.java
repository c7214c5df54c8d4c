package dev.caption.cli.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.caption.broker.LocalKafkaBroker;
import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.loop.BatchLoop;
import dev.caption.core.loop.BatchLoopConfig;
import dev.caption.core.loop.BatchProcessor;
import dev.caption.core.loop.BatchReport;
import dev.caption.core.loop.LoopListener;
import dev.caption.core.loop.RecordOutcome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import dev.caption.cli.CaptionCommand;

/** Throughput of the exactly-once batch loop itself, on the local broker, with processors that do no work. */
@Command(name = "loop", mixinStandardHelpOptions = true,
        description = "Measure the batch loop's records/s on a local broker with a no-op and a pass-through processor.")
public final class BenchLoopCommand extends CaptionCommand {

    @Option(names = "--records", defaultValue = "20000", description = "Records per run (default: ${DEFAULT-VALUE}).")
    int records;

    @Option(names = "--batch", defaultValue = "64", description = "max-batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--partitions", defaultValue = "4", description = "Input partitions (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--payload-bytes", defaultValue = "256", description = "Record value size (default: ${DEFAULT-VALUE}).")
    int payload;

    @Override
    public Integer call() throws Exception {
        try (LocalKafkaBroker broker = LocalKafkaBroker.builder().build().start()) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers());
            try (var admin = org.apache.kafka.clients.admin.Admin.create(settings.clientConfig())) {
                admin.createTopics(List.of(
                        new org.apache.kafka.clients.admin.NewTopic("bench.in", partitions, (short) 1),
                        new org.apache.kafka.clients.admin.NewTopic("bench.out", partitions, (short) 1),
                        new org.apache.kafka.clients.admin.NewTopic("bench.dlq", 1, (short) 1))).all().get();
            }
            produce(settings);
            out().printf(Locale.ROOT, "bench loop: %d records of %d bytes on %d partitions, max-batch %d, local broker%n",
                    records, payload, partitions, batch);
            run(settings, "no-op (no outputs)", b -> b.stream().map(r -> RecordOutcome.emit()).toList());
            run(settings, "pass-through (1 output each)", BatchProcessor.perRecord(r ->
                    List.of(new ProducerRecord<>("bench.out", r.key(), r.value()))));
        }
        return 0;
    }

    private void produce(KafkaSettings settings) {
        Map<String, Object> p = new LinkedHashMap<>(settings.clientConfig());
        p.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        byte[] value = "x".repeat(payload).getBytes(StandardCharsets.UTF_8);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>("bench.in", "key-" + i, value));
            }
            producer.flush();
        }
    }

    private void run(KafkaSettings settings, String label, BatchProcessor processor) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        AtomicLong seen = new AtomicLong();
        AtomicLong batches = new AtomicLong();
        AtomicLong commitNanos = new AtomicLong();
        AtomicLong firstAt = new AtomicLong();
        LoopListener listener = new LoopListener() {
            @Override
            public void onBatchCommitted(BatchReport report) {
                firstAt.compareAndSet(0, System.nanoTime());
                batches.incrementAndGet();
                commitNanos.addAndGet(report.commitNanos());
                if (seen.addAndGet(report.records()) >= records) {
                    done.countDown();
                }
            }
        };
        BatchLoopConfig config = BatchLoopConfig.builder("bench").kafka(settings).groupId("bench-" + label.hashCode())
                .inputTopic("bench.in").dlqTopic("bench.dlq").maxBatch(batch).maxWait(Duration.ofMillis(20)).build();
        long start = System.nanoTime();
        try (BatchLoop loop = new BatchLoop(config, processor, listener).start()) {
            if (!done.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("bench did not finish: " + seen.get() + " of " + records);
            }
        }
        long end = System.nanoTime();
        double steady = (end - firstAt.get()) / 1e9;
        out().printf(Locale.ROOT, "  %-30s %8.0f records/s (%d records after the first commit in %.2f s; "
                        + "%d transactions, mean commit %.1f ms; %.1f s including group join)%n",
                label, (seen.get() - (double) seen.get() / batches.get()) / steady, seen.get(), steady, batches.get(),
                commitNanos.get() / 1e6 / batches.get(), (end - start) / 1e9);
    }
}

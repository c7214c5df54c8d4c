package dev.caption.eval;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * {@code caption.eval.*}: the BERTScore model, batching and Kafka Streams settings. Topics come from
 * {@code caption.topics.*}, shared with the other stages (caption-service's StageConfig).
 */
@ConfigMapping(prefix = "caption.eval")
public interface EvalConfig {

    Scorer scorer();

    /** Captions per scoring call. */
    @WithDefault("32")
    int maxBatch();

    /** How long a caption waits for a batch to fill (wall clock). */
    @WithDefault("PT0.2S")
    Duration maxWait();

    /** Kafka Streams application.id (consumer group, internal topic prefix); default: topic prefix + caption-eval. */
    Optional<String> applicationId();

    /** Where the state stores live; default: Kafka Streams' (java.io.tmpdir/kafka-streams). */
    Optional<Path> stateDir();

    @WithDefault("1")
    int streamThreads();

    /**
     * The producer's {@code transaction.timeout.ms}. A transaction stays open while a batch is scored, so this must
     * outlast scoring {@code max-batch} captions: Kafka Streams' own exactly-once default (10 s) is shorter than
     * roberta-large takes for 16 captions on a CPU, and a transaction that outlives it is aborted, the thread
     * fenced, and the batch scored again. At most the broker's {@code transaction.max.timeout.ms} (15 min by default).
     */
    @WithDefault("PT2M")
    Duration transactionTimeout();

    /** How long Kafka Streams must stay RUNNING, the first time, before the service reports ready. */
    @WithDefault("PT5S")
    Duration readySettle();

    interface Scorer {
        /** BERT, RoBERTa or DistilBERT: a Hugging Face id or a directory. */
        @WithDefault("roberta-large")
        String model();

        Optional<String> revision();

        /** Hidden state to use; default bert_score's for the model (roberta-large: 17). */
        Optional<Integer> layer();

        /** Rescale with bert_score's built-in baseline (roberta-large L17 only). */
        @WithDefault("false")
        boolean rescale();

        /** Rescale with this baseline file in bert_score's format; wins over rescale. */
        Optional<Path> baseline();

        @WithDefault("cpu")
        String device();

        /** Sentences per model call. */
        @WithDefault("64")
        int batchSize();
    }
}

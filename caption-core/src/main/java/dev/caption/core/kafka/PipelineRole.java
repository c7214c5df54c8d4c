package dev.caption.core.kafka;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Who talks to the pipeline's cluster: the four services, the publishers of images and references, and the readers
 * of what the pipeline writes. Each role is one principal with its own least-privilege ACLs ({@link PipelineAcls}).
 *
 * <p>A stage role reads its input topic in its consumer group {@code caption-<stage>}, writes its output topics and
 * the DLQ, and owns the transactional ids {@code caption-<stage>-*}. Eval (Kafka Streams) owns its application id
 * as group, transactional-id prefix and internal-topic prefix.
 */
public enum PipelineRole {
    ENCODER(List.of(Topic.IMAGES), List.of(Topic.FEATURES, Topic.DLQ)),
    /** An encoder-service deployment with {@code caption.encoder.modality=audio}: clips in, Whisper features out. */
    AUDIO_ENCODER(List.of(Topic.AUDIO), List.of(Topic.FEATURES, Topic.DLQ)),
    ADAPTER(List.of(Topic.FEATURES), List.of(Topic.PREFIXES, Topic.DLQ)),
    LLM(List.of(Topic.PREFIXES), List.of(Topic.CAPTIONS, Topic.DLQ)),
    EVAL(List.of(Topic.CAPTIONS, Topic.REFERENCES), List.of(Topic.SCORES, Topic.METRICS, Topic.DLQ)),
    /** {@code caption publish} and the like: images, audio clips and their references in. */
    PUBLISHER(List.of(), List.of(Topic.IMAGES, Topic.AUDIO, Topic.REFERENCES)),
    /**
     * {@code caption tail}, {@code caption eval}, training replays: every topic but the images and the audio (the
     * DLQ carries the failed records as they were), without committing anything except in groups
     * {@code caption-reader-*}.
     */
    READER(List.of(Topic.FEATURES, Topic.PREFIXES, Topic.CAPTIONS, Topic.REFERENCES, Topic.SCORES, Topic.METRICS,
            Topic.DLQ), List.of());

    /** The eval service's default Kafka Streams application id, after the deployment's topic prefix. */
    public static final String EVAL_APPLICATION_ID = "caption-eval";
    /** Readers may use consumer groups under this prefix, and no others. */
    public static final String READER_GROUP_PREFIX = "caption-reader-";

    private final List<Topic> reads;
    private final List<Topic> writes;

    PipelineRole(List<Topic> reads, List<Topic> writes) {
        this.reads = reads;
        this.writes = writes;
    }

    /** {@code encoder}, {@code audio-encoder}, {@code publisher} ...: the stage name of a service role. */
    public String shortName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The default SCRAM user / principal name: {@code caption-encoder} ... */
    public String defaultUser() {
        return "caption-" + shortName();
    }

    /** Every role's default user, in role order: the users a secured local broker is made with. */
    public static List<String> defaultUsers() {
        return Arrays.stream(values()).map(PipelineRole::defaultUser).toList();
    }

    public List<Topic> reads() {
        return reads;
    }

    public List<Topic> writes() {
        return writes;
    }

    /** The consumer group of a batch-loop stage: {@code caption-<stage>}. */
    public static String stageGroupId(String stage) {
        return "caption-" + stage;
    }

    /** The eval service's application id for a topic layout: its prefix, then {@value #EVAL_APPLICATION_ID}. */
    public static String evalApplicationId(Topics topics) {
        return topics.prefix() + EVAL_APPLICATION_ID;
    }

    public static PipelineRole parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (PipelineRole r : values()) {
            if (r.shortName().equals(n)) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown role '" + name + "' (one of: " + String.join(", ",
                Arrays.stream(values()).map(PipelineRole::shortName).toList()) + ")");
    }
}

package dev.caption.core.loop;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.kafka.PipelineRole;

/**
 * Settings of one {@link BatchLoop}. Build with {@link #builder(String)}.
 *
 * <p>{@code instanceId} names this replica. It makes the transactional id ({@code <group>-<instance>}), and with
 * {@code staticMembership} the consumer's {@code group.instance.id}: a replica restarted under the same id
 * aborts its predecessor's open transaction at once and takes its partitions back without a rebalance. Without
 * an instance id, a random one is used, which is safe but makes a crashed replica's open transaction block
 * downstream {@code read_committed} readers until {@code transaction.timeout.ms}.
 *
 * <p>A static member that closes stays in its group until {@code session.timeout.ms}, keeping its partitions for
 * its restart. {@code leaveGroupOnClose} makes it leave at once instead (KIP-1092), so that the other replicas take
 * its partitions over without waiting: for replicas that an autoscaler removes for good.
 */
public final class BatchLoopConfig {

    private final String stage;
    private final KafkaSettings kafka;
    private final List<String> inputTopics;
    private final String dlqTopic;
    private final String groupId;
    private final String instanceId;
    private final boolean explicitInstanceId;
    private final boolean staticMembership;
    private final boolean leaveGroupOnClose;
    private final int maxBatch;
    private final Duration maxWait;
    private final int maxRetries;
    private final Duration retryBackoff;
    private final Duration maxRetryBackoff;
    private final Duration shutdownTimeout;
    private final int maxRecordBytes;
    private final Map<String, Object> consumerOverrides;
    private final Map<String, Object> producerOverrides;

    private BatchLoopConfig(Builder b) {
        this.stage = requireText(b.stage, "stage");
        this.kafka = Objects.requireNonNull(b.kafka, "kafka settings are required");
        if (b.inputTopics == null || b.inputTopics.isEmpty()) {
            throw new IllegalArgumentException("at least one input topic is required");
        }
        this.inputTopics = List.copyOf(b.inputTopics);
        this.dlqTopic = requireText(b.dlqTopic, "dlqTopic");
        this.groupId = b.groupId != null ? b.groupId : PipelineRole.stageGroupId(stage);
        this.explicitInstanceId = b.instanceId != null;
        this.instanceId = b.instanceId != null ? b.instanceId : java.util.UUID.randomUUID().toString();
        this.staticMembership = b.staticMembership && explicitInstanceId;
        this.leaveGroupOnClose = b.leaveGroupOnClose;
        this.maxBatch = positive(b.maxBatch, "maxBatch");
        this.maxWait = Objects.requireNonNull(b.maxWait);
        this.maxRetries = Math.max(0, b.maxRetries);
        this.retryBackoff = Objects.requireNonNull(b.retryBackoff);
        this.maxRetryBackoff = Objects.requireNonNull(b.maxRetryBackoff);
        this.shutdownTimeout = Objects.requireNonNull(b.shutdownTimeout);
        this.maxRecordBytes = positive(b.maxRecordBytes, "maxRecordBytes");
        this.consumerOverrides = Map.copyOf(b.consumerOverrides);
        this.producerOverrides = Map.copyOf(b.producerOverrides);
    }

    public static Builder builder(String stage) {
        return new Builder(stage);
    }

    public String stage() { return stage; }
    public KafkaSettings kafka() { return kafka; }
    public List<String> inputTopics() { return inputTopics; }
    public String dlqTopic() { return dlqTopic; }
    public String groupId() { return groupId; }
    public String instanceId() { return instanceId; }
    public boolean staticMembership() { return staticMembership; }
    public boolean leaveGroupOnClose() { return leaveGroupOnClose; }
    public int maxBatch() { return maxBatch; }
    public Duration maxWait() { return maxWait; }
    public int maxRetries() { return maxRetries; }
    public Duration retryBackoff() { return retryBackoff; }
    public Duration maxRetryBackoff() { return maxRetryBackoff; }
    public Duration shutdownTimeout() { return shutdownTimeout; }
    public int maxRecordBytes() { return maxRecordBytes; }
    public Map<String, Object> consumerOverrides() { return consumerOverrides; }
    public Map<String, Object> producerOverrides() { return producerOverrides; }

    /** {@code <group>-<instance>}: stable across restarts of one replica when the instance id is. */
    public String transactionalId() {
        return groupId + "-" + instanceId;
    }

    public Optional<String> groupInstanceId() {
        return staticMembership ? Optional.of(instanceId) : Optional.empty();
    }

    private static String requireText(String s, String what) {
        if (s == null || s.isBlank()) {
            throw new IllegalArgumentException(what + " is required");
        }
        return s;
    }

    private static int positive(int n, String what) {
        if (n < 1) {
            throw new IllegalArgumentException(what + " must be at least 1, got " + n);
        }
        return n;
    }

    public static final class Builder {
        private final String stage;
        private KafkaSettings kafka;
        private List<String> inputTopics;
        private String dlqTopic;
        private String groupId;
        private String instanceId;
        private boolean staticMembership = true;
        private boolean leaveGroupOnClose;
        private int maxBatch = 32;
        private Duration maxWait = Duration.ofMillis(50);
        private int maxRetries = 3;
        private Duration retryBackoff = Duration.ofMillis(200);
        private Duration maxRetryBackoff = Duration.ofSeconds(10);
        private Duration shutdownTimeout = Duration.ofSeconds(30);
        private int maxRecordBytes = 17 * 1024 * 1024;
        private final Map<String, Object> consumerOverrides = new LinkedHashMap<>();
        private final Map<String, Object> producerOverrides = new LinkedHashMap<>();

        private Builder(String stage) {
            this.stage = stage;
        }

        public Builder kafka(KafkaSettings kafka) { this.kafka = kafka; return this; }
        public Builder inputTopics(List<String> topics) { this.inputTopics = topics; return this; }
        public Builder inputTopic(String topic) { this.inputTopics = List.of(topic); return this; }
        public Builder dlqTopic(String topic) { this.dlqTopic = topic; return this; }
        /** Consumer group; default {@code caption-<stage>}. Replicas of one stage share it. */
        public Builder groupId(String groupId) { this.groupId = groupId; return this; }
        public Builder instanceId(String instanceId) { this.instanceId = instanceId; return this; }
        /** Use the instance id as {@code group.instance.id} (default true when an instance id is given). */
        public Builder staticMembership(boolean enabled) { this.staticMembership = enabled; return this; }
        /** Leave the group on close even as a static member (default false: keep the partitions for a restart). */
        public Builder leaveGroupOnClose(boolean leave) { this.leaveGroupOnClose = leave; return this; }
        /** Most records per batch (and per poll). */
        public Builder maxBatch(int maxBatch) { this.maxBatch = maxBatch; return this; }
        /** How long to keep polling for more records once the first one of a batch arrived. */
        public Builder maxWait(Duration maxWait) { this.maxWait = maxWait; return this; }
        /** Retries of a whole failing batch before it is split. */
        public Builder maxRetries(int maxRetries) { this.maxRetries = maxRetries; return this; }
        /** First retry delay; doubles per attempt up to {@link #maxRetryBackoff}. */
        public Builder retryBackoff(Duration backoff) { this.retryBackoff = backoff; return this; }
        public Builder maxRetryBackoff(Duration backoff) { this.maxRetryBackoff = backoff; return this; }
        /** How long close() lets the in-flight batch finish before aborting it. */
        public Builder shutdownTimeout(Duration timeout) { this.shutdownTimeout = timeout; return this; }
        /** Largest output record; a larger one dead-letters its input instead of failing the transaction. */
        public Builder maxRecordBytes(int bytes) { this.maxRecordBytes = bytes; return this; }
        public Builder consumerProperty(String key, Object value) { consumerOverrides.put(key, value); return this; }
        public Builder producerProperty(String key, Object value) { producerOverrides.put(key, value); return this; }

        public BatchLoopConfig build() {
            return new BatchLoopConfig(this);
        }
    }
}

package dev.caption.cli.streams;

import java.io.IOException;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.Topics;
import dev.caption.core.message.AudioEvent;
import dev.caption.core.message.ImageEvent;
import dev.caption.core.message.References;
import me.tongfei.progressbar.ProgressBar;
import dev.caption.cli.ImageInputs;
import dev.caption.cli.Sizes;
import dev.caption.image.ImageSniffer;
import dev.caption.nn.audio.AudioSniffer;
import dev.caption.cli.Progress;

/** Publishes images, audio clips and references with an idempotent producer; shared by {@code publish} and {@code demo}. */
public final class Publisher implements AutoCloseable {

    /** How the image id is derived. */
    public enum IdFrom {
        /** Relative path without extension (the default). */
        PATH,
        /** File name without extension. */
        NAME,
        /** First 16 hex digits of the SHA-256 of the bytes. */
        SHA256
    }

    /** What a publish run did: {@code published} images and audio clips, {@code audio} of them clips. */
    public record Result(int published, int audio, long bytes, Map<String, String> skipped, List<String> ids) {
        public String summary(int references) {
            int images = published - audio;
            StringBuilder sb = new StringBuilder("published " + images + " image" + (images == 1 ? "" : "s"));
            if (audio > 0) {
                sb.append(" and ").append(audio).append(" audio clip").append(audio == 1 ? "" : "s");
            }
            sb.append(" (").append(Sizes.human(bytes)).append(")");
            if (references > 0) {
                sb.append(" and ").append(references).append(" reference set").append(references == 1 ? "" : "s");
            }
            sb.append("; skipped ").append(skipped.size());
            int shown = 0;
            for (Map.Entry<String, String> e : skipped.entrySet()) {
                if (shown++ == 10) {
                    sb.append(", … and ").append(skipped.size() - 10).append(" more");
                    break;
                }
                sb.append(shown == 1 ? ": " : ", ").append(e.getKey()).append(" (").append(e.getValue()).append(')');
            }
            return sb.toString();
        }
    }

    /** Files checked per chunk before its records are sent. */
    private static final int CHUNK_FILES = 64;
    /** Bytes read per chunk before its records are sent. */
    private static final long CHUNK_BYTES = 32L << 20;

    private final KafkaProducer<String, byte[]> producer;
    private final Topics topics;
    private final AtomicReference<Exception> sendError = new AtomicReference<>();

    public Publisher(KafkaSettings settings, Topics topics) {
        this.topics = topics;
        Map<String, Object> p = new LinkedHashMap<>(settings.clientConfig());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, topics.maxRecordBytes());
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "caption-publish");
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * Files are read and checked a chunk at a time (up to {@link #CHUNK_FILES} files or {@link #CHUNK_BYTES}), and
     * each chunk's records are then sent together. Sending as each file passed its check spread a burst over the
     * checks' time (Tika's detection takes milliseconds per file in a short-lived JVM): 16 small images reached Kafka
     * over 65 ms, past the encoder's 50 ms batching wait, so it took them as two batches.
     */
    public Result publishImages(List<ImageInputs.Input> inputs, IdFrom idFrom, boolean progress) {
        Map<String, String> skipped = new LinkedHashMap<>();
        List<String> ids = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        long bytes = 0;
        int audio = 0;
        List<Checked> chunk = new ArrayList<>();
        long chunkBytes = 0;
        try (ProgressBar bar = progress ? Progress.bar("publish", inputs.size()) : null) {
            for (ImageInputs.Input input : inputs) {
                Checked c = check(input, idFrom, seen, skipped);
                if (bar != null) {
                    bar.step();
                }
                if (c != null) {
                    chunk.add(c);
                    chunkBytes += c.data().length;
                    bytes += c.data().length;
                    ids.add(c.id());
                    audio += c.audio() ? 1 : 0;
                }
                if (chunk.size() >= CHUNK_FILES || chunkBytes >= CHUNK_BYTES) {
                    send(chunk);
                    chunk.clear();
                    chunkBytes = 0;
                }
            }
            send(chunk);
            flush();
        }
        return new Result(ids.size(), audio, bytes, skipped, ids);
    }

    /** A file that passed its checks, ready to send. */
    private record Checked(String id, String type, byte[] data, boolean audio) {
    }

    /** Reads and checks one file; null (and the reason in {@code skipped}) when it is not to be published. */
    private Checked check(ImageInputs.Input input, IdFrom idFrom, Set<String> seen, Map<String, String> skipped) {
        String label = input.file().toString();
        try {
            long size = Files.size(input.file());
            if (size > topics.maxImageBytes()) {
                skipped.put(label, "too large: " + Sizes.human(size) + " > " + Sizes.human(topics.maxImageBytes()));
                return null;
            }
            if (size == 0) {
                skipped.put(label, "empty file");
                return null;
            }
            byte[] data = Files.readAllBytes(input.file());
            String type = ImageSniffer.detect(data);
            // audio goes to its own topic, for an encoder deployment with modality audio
            boolean isAudio = AudioSniffer.isAudio(type);
            String rejection = isAudio ? AudioSniffer.rejection(type) : ImageSniffer.rejection(type);
            if (rejection != null) {
                skipped.put(label, rejection);
                return null;
            }
            String id = switch (idFrom) {
                case PATH -> input.pathId();
                case NAME -> ImageInputs.stripExtension(input.file().getFileName().toString());
                case SHA256 -> sha256(data);
            };
            if (!seen.add(id)) {
                skipped.put(label, "duplicate id '" + id + "'");
                return null;
            }
            return new Checked(id, type, data, isAudio);
        } catch (IOException e) {
            skipped.put(label, "unreadable: " + e.getMessage());
            return null;
        }
    }

    /** Sends a chunk's records, each stamped with its own submit time. */
    private void send(List<Checked> chunk) {
        for (Checked c : chunk) {
            long now = System.currentTimeMillis();
            send(c.audio() ? new AudioEvent(c.id(), c.type(), c.data()).submission(topics.name(Topic.AUDIO), now)
                    : new ImageEvent(c.id(), c.type(), c.data()).submission(topics.name(Topic.IMAGES), now));
        }
    }

    public int publishReferences(List<References> references) {
        String topic = topics.name(Topic.REFERENCES);
        for (References r : references) {
            send(References.CODEC.toRecord(topic, r));
        }
        flush();
        return references.size();
    }

    private void send(ProducerRecord<String, byte[]> record) {
        producer.send(record, (metadata, error) -> {
            if (error != null) {
                sendError.compareAndSet(null, error);
            }
        });
    }

    private void flush() {
        producer.flush();
        Exception e = sendError.get();
        if (e != null) {
            throw new IllegalStateException("Kafka refused a record: " + e.getMessage(), e);
        }
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}

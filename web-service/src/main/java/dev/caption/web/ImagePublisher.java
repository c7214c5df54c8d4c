package dev.caption.web;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.Topics;
import dev.caption.core.message.ImageEvent;
import dev.caption.core.message.References;

/** Publishes checked uploads with an idempotent producer, as the CLI does: the same records and headers. */
final class ImagePublisher implements AutoCloseable {

    private final KafkaProducer<String, byte[]> producer;
    private final Topics topics;
    private final KafkaSettings settings;

    ImagePublisher(KafkaSettings settings, Topics topics) {
        this.settings = settings;
        this.topics = topics;
        Map<String, Object> p = new LinkedHashMap<>(settings.clientConfig());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, topics.maxRecordBytes());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "caption-web");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    /** Sends the references first (eval keeps them for the caption to come), then the images; waits for the acks. */
    void publish(List<ImageEvent> images, List<References> references) {
        long now = System.currentTimeMillis();
        List<Future<RecordMetadata>> sent = new java.util.ArrayList<>();
        for (References r : references) {
            sent.add(producer.send(References.CODEC.toRecord(topics.name(Topic.REFERENCES), r)));
        }
        for (ImageEvent image : images) {
            sent.add(producer.send(image.submission(topics.name(Topic.IMAGES), now)));
        }
        try {
            for (Future<RecordMetadata> f : sent) {
                f.get(45, TimeUnit.SECONDS);
            }
        } catch (ExecutionException e) {
            throw new PublishException("Kafka refused the upload as " + settings.identity() + ": "
                    + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage()), e);
        } catch (TimeoutException e) {
            throw new PublishException("Kafka did not acknowledge the upload within 45 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PublishException("interrupted while publishing", e);
        }
    }

    /** Kafka could not take the upload (the request was fine): a 503. */
    static final class PublishException extends RuntimeException {
        PublishException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}

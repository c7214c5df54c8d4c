package dev.caption.web;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** {@code caption.web.*}: the page's logins, its event history and its upload limit. */
@ConfigMapping(prefix = "caption.web")
public interface WebConfig {

    /** The publisher's client properties file (it writes images and references), applied over kafka.*. */
    Optional<Path> publisherKafkaConfig();

    /** The reader's client properties file (it reads captions, scores, dead letters, metrics), over kafka.*. */
    Optional<Path> readerKafkaConfig();

    /**
     * The publisher's SASL login (a JAAS line), over kafka.* and the file: how Kubernetes hands it a user's Secret
     * ({@code sasl.jaas.config}) without a file.
     */
    Optional<String> publisherSaslJaasConfig();

    /** The reader's SASL login (a JAAS line), as {@link #publisherSaslJaasConfig()}. */
    Optional<String> readerSaslJaasConfig();

    /** How far back the event stream starts when the service starts. */
    @WithDefault("PT1H")
    Duration replay();

    /** How many images' events are kept for pages that connect after they happened. */
    @WithDefault("10000")
    int historyImages();

    /** Images per upload request. */
    @WithDefault("32")
    int maxFiles();
}

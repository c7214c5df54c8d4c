package dev.caption.service;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** {@code caption.*}: topics and the batch loop. */
@ConfigMapping(prefix = "caption")
public interface StageConfig {

    Topics topics();

    Loop loop();

    /**
     * A Kafka client properties file (a principal's login: SASL, TLS, and bootstrap servers when it has them),
     * applied over {@code kafka.*}. The file {@code caption broker --secure} writes for each principal is taken as
     * it is. Keeps secrets out of the command line and the environment.
     */
    Optional<Path> kafkaConfig();

    interface Topics {
        /** Prefix of every topic name. */
        Optional<String> prefix();

        /** Create missing pipeline topics at startup (needs the cluster's permission to). */
        @WithDefault("true")
        boolean create();

        @WithDefault("4")
        int partitions();

        /**
         * The largest image the pipeline accepts, in bytes: the encoder dead-letters larger ones, and topic creation
         * sets the images topic's max.message.bytes from it. One setting for every service, so the topics come out
         * the same whichever service creates them first.
         */
        @WithDefault("10485760")
        int maxImageBytes();
    }

    interface Loop {
        @WithDefault("16")
        int maxBatch();

        @WithDefault("PT0.05S")
        Duration maxWait();

        @WithDefault("3")
        int maxRetries();

        @WithDefault("PT0.2S")
        Duration retryBackoff();

        @WithDefault("PT30S")
        Duration shutdownTimeout();

        /** This replica's stable id (a StatefulSet pod name); random when absent. */
        Optional<String> instanceId();

        /**
         * Leave the consumer group when the service stops, although the instance id makes it a static member
         * that would otherwise keep its partitions until the session times out, waiting for its restart. For
         * replicas an autoscaler removes.
         */
        @WithDefault("false")
        boolean leaveGroupOnClose();

        /** Consumer group; default caption-<stage>. */
        Optional<String> groupId();
    }
}

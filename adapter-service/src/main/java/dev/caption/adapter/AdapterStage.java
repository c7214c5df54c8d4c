package dev.caption.adapter;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.Topics;
import dev.caption.service.StageRunner;

/** Loads the adapter, runs the batch loop from caption.features to caption.prefixes, and watches for new versions. */
@ApplicationScoped
public class AdapterStage {

    static final String STAGE = "adapter";

    @Inject
    AdapterConfig config;

    @Inject
    AdapterModel model;

    @Inject
    StageRunner runner;

    private ScheduledExecutorService watcher;

    void start(@Observes StartupEvent event) {
        model.load(config);
        Topics topics = runner.topics();
        runner.start(STAGE, topics, Topic.FEATURES, new AdapterProcessor(model, topics.name(Topic.PREFIXES), config.wireDtype().dtype()));
        long every = config.reloadInterval().toMillis();
        if (every > 0) {
            watcher = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "adapter-reload");
                t.setDaemon(true);
                return t;
            });
            watcher.scheduleWithFixedDelay(() -> model.reloadChanged(), every, every, TimeUnit.MILLISECONDS);
        }
    }

    void stop(@Observes ShutdownEvent event) {
        if (watcher != null) {
            watcher.shutdownNow();
        }
    }
}

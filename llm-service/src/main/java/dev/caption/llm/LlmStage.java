package dev.caption.llm;

import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.StartupEvent;

import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.Topics;
import dev.caption.nn.qwen3.Decoding;
import dev.caption.nn.qwen3.Sampling;
import dev.caption.service.StageRunner;

/** Loads Qwen3, then runs the batch loop from caption.prefixes to caption.captions until shutdown. */
@ApplicationScoped
public class LlmStage {

    static final String STAGE = "llm";

    @Inject
    LlmConfig config;

    @Inject
    LlmModel model;

    @Inject
    StageRunner runner;

    void start(@Observes StartupEvent event) {
        Topics topics = runner.topics();
        LlmProcessor processor = new LlmProcessor(model.load(config), decoding(), topics.name(Topic.CAPTIONS),
                config.checkModel(), stats(runner.registry()));
        runner.start(STAGE, topics, Topic.PREFIXES, processor);
    }

    Decoding decoding() {
        return switch (config.decoding()) {
            case GREEDY -> new Decoding.Greedy(config.maxNewTokens());
            case BEAM -> new Decoding.Beam(config.maxNewTokens(), config.numBeams(), 1, config.lengthPenalty());
            case SAMPLE -> new Decoding.Sample(config.maxNewTokens(),
                    new Sampling(config.temperature(), config.topK(), config.topP(), config.seed()));
        };
    }

    private static LlmProcessor.Stats stats(MeterRegistry registry) {
        Counter tokens = registry.counter("caption.llm.tokens");
        Timer firstToken = Timer.builder("caption.llm.time.to.first.token")
                .description("prefill of a batch (add caption.queue.time for the full wait)").register(registry);
        Timer generation = Timer.builder("caption.llm.generation").description("whole batch generation").register(registry);
        return (prompts, prefillNanos, totalNanos, newTokens) -> {
            tokens.increment(newTokens);
            firstToken.record(prefillNanos, TimeUnit.NANOSECONDS);
            generation.record(totalNanos, TimeUnit.NANOSECONDS);
        };
    }
}

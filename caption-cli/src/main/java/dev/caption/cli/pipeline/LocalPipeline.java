package dev.caption.cli.pipeline;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import dev.caption.broker.LocalKafkaBroker;
import dev.caption.cli.SyntheticWorld;
import dev.caption.core.kafka.PipelineRole;

/**
 * The four services as separate processes against one broker, as `caption demo` and `caption bench pipeline` run
 * them; with an audio path, a second encoder-service deployment (modality audio) and the adapter-service serving the
 * audio adapter beside the image one.
 */
public final class LocalPipeline implements AutoCloseable {

    /** The module of the web page, started after the four stages. */
    public static final String WEB = "web-service";
    /** The audio encoder: the encoder-service module with modality audio. */
    public static final String AUDIO_ENCODER = "audio-encoder";

    /** The audio path's models: a Whisper checkpoint and an audio adapter trained on its features. */
    public record Audio(String encoder, Path adapter) {
    }

    /** What the services run. */
    public record Models(String clip, String llm, Path adapter, String bert, Optional<Integer> bertLayer,
                         Optional<Audio> audio) {

        /** The synthetic shapes world: clip-tiny, qwen3-shapes, the trained shapes adapter, roberta-tiny at layer 3. */
        public static Models synthetic() {
            SyntheticWorld.Models m = SyntheticWorld.models();
            return new Models(m.clip().toString(), m.llm().toString(), m.adapter(), m.bertscore().toString(),
                    Optional.of(m.bertscoreLayer()), Optional.empty());
        }

        public Models withAudio(Audio a) {
            return new Models(clip, llm, adapter, bert, bertLayer, Optional.of(a));
        }
    }

    private final List<ServiceProcess> services = new ArrayList<>();
    private boolean closed;

    /**
     * Starts encoder, adapter, llm and eval services against {@code broker} and waits until each is ready;
     * {@code log} hears each. On a secured broker each service logs in as its own role's user, from the client
     * file the broker wrote (caption.kafka-config: no secret on any command line). {@code extra} properties go to
     * every service, except {@code caption.<stage>.*} which go to that stage only.
     */
    public static LocalPipeline start(Path home, Path work, LocalKafkaBroker broker, Models m, String device,
                                      Map<String, String> extra, Consumer<String> log) throws Exception {
        LocalPipeline p = new LocalPipeline();
        Thread cleanup = new Thread(p::close);
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            Map<String, String> common = new LinkedHashMap<>();
            common.put("kafka.bootstrap.servers", broker.bootstrapServers());
            common.put("caption.loop.max-wait", "PT0.05S");
            Map<String, Map<String, String>> props = new LinkedHashMap<>();
            props.put("encoder-service", Map.of("caption.encoder.model", m.clip(), "caption.loop.instance-id", "local-encoder"));
            m.audio().ifPresent(a -> props.put(AUDIO_ENCODER, Map.of("caption.encoder.model", a.encoder(),
                    "caption.encoder.modality", "audio", "caption.loop.instance-id", "local-audio-encoder")));
            // one adapter per modality, each frame to its own
            String adapters = m.adapter() + m.audio().map(a -> "," + a.adapter()).orElse("");
            props.put("adapter-service", Map.of("caption.adapter.path", adapters, "caption.loop.instance-id", "local-adapter"));
            props.put("llm-service", Map.of("caption.llm.model", m.llm(), "caption.llm.device", device,
                    "caption.loop.instance-id", "local-llm"));
            Map<String, String> eval = new HashMap<>(Map.of("caption.eval.scorer.model", m.bert(),
                    "caption.eval.state-dir", work.resolve("eval-state").toString(), "caption.eval.max-wait", "PT0.1S"));
            m.bertLayer().ifPresent(l -> eval.put("caption.eval.scorer.layer", l.toString()));
            props.put("eval-service", eval);
            Map<String, String> web = new HashMap<>();
            broker.security().ifPresent(sec -> {
                web.put("caption.web.publisher-kafka-config",
                        sec.clientConfigFile(PipelineRole.PUBLISHER.defaultUser()).toString());
                web.put("caption.web.reader-kafka-config", sec.clientConfigFile(PipelineRole.READER.defaultUser()).toString());
            });
            props.put("web-service", web);
            for (Map.Entry<String, Map<String, String>> e : props.entrySet()) {
                Map<String, String> all = new LinkedHashMap<>(common);
                boolean audioEncoder = e.getKey().equals(AUDIO_ENCODER);
                String module = audioEncoder ? "encoder-service" : e.getKey();
                String stage = audioEncoder ? "encoder" : e.getKey().replace("-service", "");
                // caption.<stage>.* goes to its own service only: Quarkus refuses properties no mapping claims
                String own = "caption." + stage + ".";
                extra.forEach((k, v) -> {
                    if (k.startsWith(own) || !k.matches("caption\\.(encoder|adapter|llm|eval|web)\\..*")) {
                        all.put(k, v);
                    }
                });
                all.putAll(e.getValue());
                boolean isWeb = e.getKey().equals(WEB);
                if (!isWeb) {
                    // the web page logs in twice, as the publisher and as the reader (above)
                    PipelineRole role = audioEncoder ? PipelineRole.AUDIO_ENCODER : PipelineRole.parse(stage);
                    broker.security().ifPresent(sec -> all.put("caption.kafka-config",
                            sec.clientConfigFile(role.defaultUser()).toString()));
                }
                p.add(ServiceProcess.start(home, module, e.getKey(), all, work, isWeb ? "512m" : "3g"));
            }
            for (ServiceProcess s : p.services()) {
                s.awaitReady(Duration.ofMinutes(10));
                log.accept(s.name() + " ready (pid " + s.pid() + ", log " + s.log() + ")");
            }
            return p;
        } catch (Exception e) {
            p.close();
            throw e;
        }
    }

    public static void requireBuilt(Path home) {
        for (String module : List.of("encoder-service", "adapter-service", "llm-service", "eval-service", WEB)) {
            ServiceProcess.jar(home, module);
        }
    }

    private synchronized void add(ServiceProcess s) {
        if (closed) {
            s.close();
            throw new IllegalStateException("the pipeline was stopped while it started");
        }
        services.add(s);
    }

    /** The web page's URL. */
    public synchronized String webUrl() {
        return services.stream().filter(s -> s.name().equals(WEB)).findFirst()
                .map(s -> "http://localhost:" + s.port() + "/").orElseThrow();
    }

    /** The services, in start order. */
    public synchronized List<ServiceProcess> services() {
        return List.copyOf(services);
    }

    /**
     * Stops every service (SIGTERM, then SIGKILL after a grace period) and waits for each to exit. Safe to call from
     * the shutdown hook and the main thread at once: the second call waits for the first and does nothing more.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (ServiceProcess s : services) {
            s.close();
        }
    }
}

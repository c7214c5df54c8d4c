package dev.caption.adapter;

import java.nio.file.Path;
import java.util.Map;

import ai.djl.ndarray.NDManager;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.adapter.AdapterSpec;

/** Writes small random adapters for the service tests: clip-tiny-test features [16 x 48] into qwen3-tiny (32). */
final class TestAdapters {

    static final Path DIR = Path.of("target", "test-adapter");
    static final String ENCODER = "clip-tiny-test";
    static final String LLM = "qwen3-tiny";

    private TestAdapters() {
    }

    static AdapterSpec spec(String id, String strategy) {
        return AdapterSpec.builder(strategy, AdapterSpec.Vision.image(ENCODER, "local", -2, false, 16, 48),
                new AdapterSpec.Llm(LLM, "local", 32)).id(id)
                .options(strategy.equals("avgpool") ? Map.of("grid", 2) : Map.of()).build();
    }

    static void write(String id, String strategy, long seed) {
        try (NDManager m = NDManager.newBaseManager(); Adapter a = Adapter.create(spec(id, strategy), m, seed)) {
            a.save(DIR, a.spec());
        }
    }
}

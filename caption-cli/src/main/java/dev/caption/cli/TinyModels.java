package dev.caption.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import ai.djl.ndarray.NDManager;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.adapter.AdapterSpec;
import dev.caption.nn.qwen3.Qwen3Captioner;

/**
 * The repository's tiny random-weight checkpoints (the test fixtures: clip-tiny, qwen3-tiny, roberta-tiny at layer
 * 3) with a freshly generated random avgpool adapter between them: the pipeline, runnable anywhere.
 */
final class TinyModels {

    private TinyModels() {
    }

    /** Writes the adapter to {@code adapterDir} and names the models; fails if the fixtures are not under {@code home}. */
    static LocalPipeline.Models create(Path home, Path adapterDir) {
        Path fixtures = home.resolve("caption-nn/src/test/resources/fixtures");
        if (!Files.isDirectory(fixtures.resolve("qwen3-tiny"))) {
            throw new IllegalArgumentException("the tiny models are the repository's test fixtures, not found under " + fixtures);
        }
        String clip = fixtures.resolve("clip-tiny").toString();
        String llm = fixtures.resolve("qwen3-tiny").toString();
        // clip-tiny: 64-pixel images, 16-pixel patches -> 4x4 patch tokens of width 48; qwen3-tiny: hidden 32
        AdapterSpec spec = new AdapterSpec(AdapterSpec.FORMAT, "tiny-avgpool", "avgpool", Map.of("grid", 2),
                new AdapterSpec.Vision(clip, "local", -2, false, 16, 48), new AdapterSpec.Llm(llm, "local", 32),
                new AdapterSpec.Prompt(Qwen3Captioner.IMAGE_PROMPT_BEFORE, Qwen3Captioner.IMAGE_PROMPT_AFTER),
                Map.of("note", "random weights, generated for a demo or benchmark"));
        try (NDManager m = NDManager.newBaseManager(); Adapter a = Adapter.create(spec, m, 7)) {
            a.save(adapterDir, spec);
        }
        return new LocalPipeline.Models(clip, llm, adapterDir, fixtures.resolve("roberta-tiny").toString(), Optional.of(3));
    }
}

package dev.caption.cli.models;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDManager;
import dev.caption.cli.CaptionCommand;
import dev.caption.cli.DownloadProgress;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.adapter.AdapterSpec;
import dev.caption.nn.clip.ClipSpec;
import dev.caption.nn.clip.ClipVisionConfig;
import dev.caption.nn.hub.CheckpointResolver;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.hub.ModelRef;
import dev.caption.nn.qwen3.Qwen3Config;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Turns a bare {@code safetensors} file (say, {@code save_file(module.state_dict(), ...)} of a PyTorch reference
 * module) into an adapter directory the pipeline serves: {@code adapter.json} written from the strategy and the
 * encoder's and LLM's own configs, the weights checked key by key against them.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Make an adapter directory from weights trained elsewhere (PyTorch: python/caption_adapters.py).",
            "Writes adapter.json for the strategy, the encoder's features and the LLM's hidden size, copies the weights",
            "as adapter.safetensors, and loads the result: every missing, unexpected and mis-shaped key is named."})
public final class AdapterImportCommand extends CaptionCommand {

    @Option(names = "--strategy", required = true, paramLabel = "S",
            description = "mean, avgpool, conv, resampler or mlp.")
    String strategy;

    @Option(names = "--option", paramLabel = "KEY=N", description = "A strategy option, as the module was built "
            + "(e.g. kernel=4 for conv); repeatable.")
    Map<String, Integer> options = new LinkedHashMap<>();

    @Option(names = "--weights", required = true, paramLabel = "FILE", description = "The trained weights (.safetensors).")
    Path weights;

    @Option(names = "--encoder", required = true, paramLabel = "HF-ID|DIR", description = "The CLIP checkpoint the features come from.")
    String encoder;

    @Option(names = "--encoder-revision", defaultValue = ModelRef.DEFAULT_REVISION, paramLabel = "REV")
    String encoderRevision;

    @Option(names = "--layer", defaultValue = "" + ClipSpec.DEFAULT_LAYER,
            description = "The hidden state the features are (default: ${DEFAULT-VALUE}, the penultimate).")
    int layer;

    @Option(names = "--keep-cls", description = "The features keep CLIP's CLS token.")
    boolean keepCls;

    @Option(names = "--llm", required = true, paramLabel = "HF-ID|DIR", description = "The Qwen3 checkpoint the prefix is for.")
    String llm;

    @Option(names = "--llm-revision", defaultValue = ModelRef.DEFAULT_REVISION, paramLabel = "REV")
    String llmRevision;

    @Option(names = "--id", paramLabel = "ID", description = "The adapter's id in prefix frames (default: the output directory's name).")
    String id;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The adapter directory to write.")
    Path out;

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(weights)) {
            throw new IllegalArgumentException("--weights " + weights + " is not a file");
        }
        if (Files.exists(out.resolve(AdapterSpec.JSON)) || Files.exists(out.resolve(AdapterSpec.WEIGHTS))) {
            throw new IllegalArgumentException("--out " + out + " already holds an adapter; pick another directory");
        }
        CheckpointResolver resolver = new CheckpointResolver(HubEnvironment.fromSystem(), new DownloadProgress(err()));
        CheckpointResolver.Resolved clip = resolver.resolve(ModelRef.parse(encoder, encoderRevision), List.of());
        CheckpointResolver.Resolved lm = resolver.resolve(ModelRef.parse(llm, llmRevision), List.of());
        ClipVisionConfig vision = ClipVisionConfig.read(clip.file(CheckpointResolver.CONFIG));
        Qwen3Config qwen = Qwen3Config.read(lm.file(CheckpointResolver.CONFIG));
        vision.hiddenStateIndex(layer, encoder);
        int tokens = vision.numPositions() - (keepCls ? 0 : 1);
        AdapterSpec spec = AdapterSpec.builder(strategy,
                        AdapterSpec.Vision.image(clip.ref().displayId(), clip.commit(), layer, keepCls, tokens, vision.hiddenSize()),
                        new AdapterSpec.Llm(lm.ref().displayId(), lm.commit(), qwen.hiddenSize()))
                .id(id != null ? id : out.toAbsolutePath().normalize().getFileName().toString())
                .options(options).build();
        spec.write(out);
        Files.copy(weights, out.resolve(AdapterSpec.WEIGHTS), StandardCopyOption.REPLACE_EXISTING);
        try (NDManager manager = NDManager.newBaseManager(); Adapter adapter = Adapter.load(out, manager)) {
            out().printf("imported %s adapter %s: %,d parameters, %d prefix tokens; features %s layer %d [%d x %d] -> "
                            + "%s hidden %d; wrote %s%n", strategy, spec.id(), adapter.parameterCount(), adapter.prefixTokens(),
                    spec.vision().model(), layer, tokens, vision.hiddenSize(), spec.llm().model(), qwen.hiddenSize(), out);
            return 0;
        } catch (RuntimeException e) {
            Files.deleteIfExists(out.resolve(AdapterSpec.JSON));
            Files.deleteIfExists(out.resolve(AdapterSpec.WEIGHTS));
            throw new IllegalArgumentException(weights + " is not a " + strategy + " adapter for " + spec.vision().model()
                    + " features [" + tokens + " x " + vision.hiddenSize() + "] and " + spec.llm().model() + " (hidden "
                    + qwen.hiddenSize() + "): " + e.getMessage(), e);
        }
    }
}

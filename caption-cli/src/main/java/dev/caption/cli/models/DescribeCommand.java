package dev.caption.cli.models;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import ai.djl.ndarray.NDManager;
import dev.caption.cli.CaptionCli;
import dev.caption.cli.CaptionCommand;
import dev.caption.cli.DownloadProgress;
import dev.caption.cli.ImageInputs;
import dev.caption.cli.Progress;
import dev.caption.cli.ReferenceFiles;
import dev.caption.cli.SyntheticWorld;
import dev.caption.core.message.Json;
import dev.caption.core.message.References;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.adapter.AdapterSpec;
import dev.caption.nn.clip.ClipEncoder;
import dev.caption.nn.clip.ClipSpec;
import dev.caption.image.ImageDecoder;
import dev.caption.image.RgbImage;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.qwen3.Decoding;
import dev.caption.nn.qwen3.Qwen3Captioner;
import dev.caption.nn.qwen3.Qwen3Spec;
import dev.caption.nn.shapes.ShapesAccuracy;
import dev.caption.nn.shapes.ShapesWorld;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "describe", mixinStandardHelpOptions = true,
        header = "Caption images offline: CLIP, a trained adapter and Qwen3 in one process, no Kafka.",
        description = {"Caption images offline, in one process: CLIP, a trained adapter and Qwen3, no Kafka.",
            "The models are the ones the pipeline runs: CLIP features, the adapter's prefix, greedy Qwen3. CLIP and Qwen3 default to the ones the adapter was trained for. With --references of the",
            "shapes world, each caption is judged right (names the colour and shape) or wrong, and a summary follows."})
public final class DescribeCommand extends CaptionCommand {

    @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "Image files, directories or quoted globs.")
    List<String> images;

    @Option(names = "--adapter", paramLabel = "DIR", description = "A trained adapter (adapter.json + adapter.safetensors).")
    Path adapterDir;

    @Option(names = "--synthetic", description = "The shapes world's models: clip-tiny, the shipped adapter, qwen3-shapes.")
    boolean synthetic;

    @Option(names = "--clip", paramLabel = "HF-ID|DIR", description = "CLIP checkpoint (default: the adapter's encoder).")
    String clip;

    @Option(names = "--llm", paramLabel = "HF-ID|DIR", description = "Qwen3 checkpoint (default: the adapter's LLM).")
    String llm;

    @Option(names = "--references", paramLabel = "FILE", description = "Reference captions by image id (.jsonl, .csv, captions.txt).")
    Path references;

    @Option(names = "--max-new-tokens", defaultValue = "32") int maxNewTokens;
    @Option(names = "--batch", defaultValue = "16", description = "Images per batch (default: ${DEFAULT-VALUE}).") int batch;
    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|cuda:N") String device;
    @Option(names = "--json", description = "One JSON object per image: id, caption, and the verdict where there is one.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        Path dir = adapterDir != null ? adapterDir : synthetic ? SyntheticWorld.models().adapter() : null;
        if (dir == null) {
            throw new IllegalArgumentException("no adapter: pass --adapter DIR (what caption train writes to OUT/best) or --synthetic");
        }
        AdapterSpec spec = AdapterSpec.read(dir);
        Map<String, List<String>> refs = new LinkedHashMap<>();
        if (references != null) {
            for (References r : ReferenceFiles.read(references)) {
                refs.put(r.id(), r.references());
            }
        }
        List<ImageInputs.Input> inputs = ImageInputs.expand(images);
        ImageDecoder decoder = new ImageDecoder();
        DownloadProgress progress = new DownloadProgress(err());
        ShapesAccuracy accuracy = ShapesAccuracy.NONE;
        int skipped = 0;
        try (NDManager manager = NDManager.newBaseManager();
             ClipEncoder encoder = ClipSpec.builder(clip != null ? clip : spec.vision().model()).revision(clip != null ? null
                     : revision(spec.vision().revision())).layer(spec.vision().layer()).keepCls(spec.vision().keepCls())
                     .device(device).build().open(HubEnvironment.fromSystem(), progress);
             Adapter adapter = Adapter.load(dir, manager);
             Qwen3Captioner lm = Qwen3Spec.builder(llm != null ? llm : spec.llm().model())
                     .revision(llm != null ? null : revision(spec.llm().revision())).device(device).build()
                     .open(HubEnvironment.fromSystem(), progress);
             ProgressBar bar = Progress.bar("describe", inputs.size())) {
            adapter.spec().checkLlm(lm.modelId(), lm.hiddenSize());
            for (int from = 0; from < inputs.size(); from += batch) {
                List<String> ids = new ArrayList<>();
                List<RgbImage> decoded = new ArrayList<>();
                for (ImageInputs.Input in : inputs.subList(from, Math.min(inputs.size(), from + batch))) {
                    String id = ImageInputs.stripExtension(in.file().getFileName().toString());
                    try {
                        decoded.add(decoder.decode(Files.readAllBytes(in.file())));
                        ids.add(id);
                    } catch (IOException | RuntimeException e) {
                        err().println("describe: skipped " + in.file() + ": " + e.getMessage());
                        skipped++;
                    }
                }
                if (decoded.isEmpty()) {
                    continue;
                }
                List<ClipEncoder.Features> features = encoder.encode(decoded);
                adapter.spec().checkFeatures(encoder.modelId(), encoder.layer(), encoder.keepCls(), features.get(0).tokens(),
                        features.get(0).dim());
                List<float[]> prefixes = adapter.project(features.stream().map(ClipEncoder.Features::values).toList());
                List<Qwen3Captioner.Item> items = prefixes.stream()
                        .map(p -> Qwen3Captioner.Item.of(adapter.spec().prompt(), p, adapter.prefixTokens())).toList();
                List<Qwen3Captioner.Result> results = lm.generate(items, new Decoding.Greedy(maxNewTokens)).first();
                for (int i = 0; i < ids.size(); i++) {
                    String caption = results.get(i).text();
                    Optional<ShapesWorld.Scene> scene = Optional.ofNullable(refs.get(ids.get(i))).flatMap(ShapesWorld::sceneOf);
                    Optional<ShapesWorld.Verdict> verdict = scene.map(sc -> ShapesWorld.judge(sc, caption));
                    if (verdict.isPresent()) {
                        accuracy = accuracy.plus(verdict.get());
                    }
                    print(ids.get(i), caption, scene, verdict);
                }
                Progress.stepTo(bar, Math.min(inputs.size(), from + batch));
            }
        }
        if (accuracy.images() > 0 && !json) {
            out().printf("right: %d/%d (colour %d, shape %d; background named in %d, right in %d)%n", accuracy.right(),
                    accuracy.images(), accuracy.colourRight(), accuracy.shapeRight(), accuracy.backgroundNamed(),
                    accuracy.backgroundRight());
        }
        return skipped == 0 ? 0 : CaptionCli.EXIT_PARTIAL;
    }

    private void print(String id, String caption, Optional<ShapesWorld.Scene> scene, Optional<ShapesWorld.Verdict> verdict) {
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("id", id);
            o.put("caption", caption);
            scene.ifPresent(s -> o.put("scene", s.slug()));
            verdict.ifPresent(v -> o.put("verdict", v.label()));
            out().println(Json.writeString(o));
        } else {
            out().println(id + ": " + caption + verdict.map(v -> "  [" + v.label() + "]").orElse(""));
        }
    }

    /** "local" (a directory) has no revision to ask for. */
    private static String revision(String recorded) {
        return recorded == null || recorded.equals("local") ? null : recorded;
    }
}

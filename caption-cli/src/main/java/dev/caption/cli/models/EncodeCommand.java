package dev.caption.cli.models;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.caption.core.message.ImageEvent;
import dev.caption.nn.clip.ClipEncoder;
import dev.caption.nn.clip.ClipSpec;
import dev.caption.image.ImageDecodeException;
import dev.caption.image.ImageDecoder;
import dev.caption.image.RgbImage;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.tensor.DType;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.Tensor;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import dev.caption.cli.ImageInputs;
import dev.caption.cli.Sizes;
import dev.caption.cli.DownloadProgress;
import dev.caption.cli.Progress;
import dev.caption.cli.CaptionCli;
import dev.caption.cli.CaptionCommand;

@Command(name = "encode", mixinStandardHelpOptions = true,
        description = {"Compute CLIP vision features offline, as the encoder-service does.",
            "Writes one safetensors file (one [tokens, dim] tensor per image, named by its file name without directory or extension).",
            "Models come from the Hugging Face cache or hub, or a directory.",
            "Exit status: 0 all encoded, 3 some images skipped, 1 error."})
public final class EncodeCommand extends CaptionCommand {

    @Option(names = "--model", required = true, paramLabel = "HF-ID|DIR",
            description = "CLIP checkpoint, e.g. openai/clip-vit-base-patch32 or a local directory.")
    String model;

    @Option(names = "--revision", paramLabel = "REV", description = "Branch, tag or commit (default: main).")
    String revision;

    @Option(names = "--layer", defaultValue = "-2", paramLabel = "N",
            description = "Hidden state to return; negative counts from the end (default: ${DEFAULT-VALUE}, LLaVA-1.5).")
    int layer;

    @Option(names = "--keep-cls", description = "Keep the CLS token as row 0.")
    boolean keepCls;

    @Option(names = "--out", required = true, paramLabel = "FEATURES.safetensors", description = "Output file.")
    Path out;

    @Option(names = "--pixels-out", paramLabel = "PIXELS.safetensors",
            description = "Also write each image's pixel_values [3, H, W].")
    Path pixelsOut;

    @Option(names = "--dtype", defaultValue = "f32", paramLabel = "f32|f16", description = "Stored dtype (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|cuda:N", description = "Where to run (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--batch", defaultValue = "16", paramLabel = "N", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--max-image-bytes", defaultValue = "" + ImageEvent.DEFAULT_MAX_IMAGE_BYTES, paramLabel = "N",
            description = "Largest image file accepted (default: ${DEFAULT-VALUE}).")
    long maxImageBytes;

    @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "Image files, directories or quoted globs.")
    List<String> images;

    @Override
    public Integer call() throws IOException {
        DType stored = switch (dtype.toLowerCase(Locale.ROOT)) {
            case "f32", "float32" -> DType.F32;
            case "f16", "float16" -> DType.F16;
            default -> throw new IllegalArgumentException("--dtype must be f32 or f16, got '" + dtype + "'");
        };
        List<ImageInputs.Input> inputs = ImageInputs.expand(images);
        ImageDecoder decoder = new ImageDecoder();
        long start = System.nanoTime();
        Map<String, String> skipped = new LinkedHashMap<>();
        Map<String, Tensor> features = new LinkedHashMap<>();
        Map<String, Tensor> pixels = new LinkedHashMap<>();
        try (ClipEncoder encoder = ClipSpec.builder(model).revision(revision).layer(layer).keepCls(keepCls).device(device)
                .build().open(HubEnvironment.fromSystem(), new DownloadProgress(err()));
             ProgressBar bar = Progress.bar("encode", inputs.size())) {
            List<String> ids = new ArrayList<>();
            List<RgbImage> pending = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                ImageInputs.Input input = inputs.get(i);
                String name = ImageInputs.stripExtension(input.file().getFileName().toString());
                try {
                    if (features.containsKey(name) || ids.contains(name)) {
                        throw new ImageDecodeException("another image is also named '" + name + "'");
                    }
                    long size = Files.size(input.file());
                    if (size > maxImageBytes) {
                        throw new ImageDecodeException("too large: " + Sizes.human(size) + " > " + Sizes.human(maxImageBytes));
                    }
                    pending.add(decoder.decode(Files.readAllBytes(input.file())));
                    ids.add(name);
                } catch (ImageDecodeException | IOException e) {
                    skipped.put(input.file().toString(), e.getMessage());
                    err().println("caption encode: skipped " + input.file() + ": " + e.getMessage());
                }
                if (pending.size() == batch || i == inputs.size() - 1 && !pending.isEmpty()) {
                    // preprocess once: the same pixel values feed the model and --pixels-out
                    float[] pixelBatch = encoder.preprocess(pending);
                    List<ClipEncoder.Features> out = encoder.encodePixels(pixelBatch, pending.size());
                    int h = encoder.processor().config().cropHeight();
                    int w = encoder.processor().config().cropWidth();
                    int perImage = 3 * h * w;
                    for (int j = 0; j < out.size(); j++) {
                        ClipEncoder.Features f = out.get(j);
                        features.put(ids.get(j), Tensor.ofFloats(stored, new long[] {f.tokens(), f.dim()}, f.values()));
                        if (pixelsOut != null) {
                            pixels.put(ids.get(j), Tensor.ofFloats(DType.F32, new long[] {3, h, w},
                                    java.util.Arrays.copyOfRange(pixelBatch, j * perImage, (j + 1) * perImage)));
                        }
                    }
                    if (bar != null) {
                        bar.stepBy(pending.size());
                    }
                    pending.clear();
                    ids.clear();
                }
            }
            if (features.isEmpty()) {
                throw new IllegalArgumentException("no image could be encoded: " + skipped);
            }
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("encoder.model", encoder.modelId());
            meta.put("encoder.revision", encoder.revision());
            meta.put("encoder.layer", Integer.toString(encoder.layer()));
            meta.put("encoder.cls", Boolean.toString(encoder.keepCls()));
            Files.write(out, Safetensors.encode(features, meta));
            if (pixelsOut != null) {
                Files.write(pixelsOut, Safetensors.encode(pixels, meta));
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Tensor first = features.values().iterator().next();
            out().printf(Locale.ROOT, "encoded %d image%s to %s (%s each, layer %d%s, %s@%s) in %.1f s%s%n",
                    features.size(), features.size() == 1 ? "" : "s", out, first, encoder.layer(),
                    encoder.keepCls() ? " with CLS" : "", encoder.modelId(), encoder.revision(), seconds,
                    skipped.isEmpty() ? "" : "; skipped " + skipped.size());
        }
        return skipped.isEmpty() ? 0 : CaptionCli.EXIT_PARTIAL;
    }
}

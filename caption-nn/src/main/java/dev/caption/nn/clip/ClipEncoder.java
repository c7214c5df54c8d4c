package dev.caption.nn.clip;

import java.nio.file.Path;
import java.util.List;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.caption.nn.hub.CheckpointResolver;
import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.image.RgbImage;

/**
 * Images to CLIP features, end to end: processor, vision tower, layer selection. What the encoder-service and
 * {@code caption encode} run. Not thread-safe: one caller at a time (the batch loop has one thread).
 */
public final class ClipEncoder implements AutoCloseable {

    /** Features of one image: row-major [tokens, dim]. */
    public record Features(int tokens, int dim, float[] values) {
    }

    private final NDManager manager;
    private final ClipImageProcessor processor;
    private final ClipVisionModel model;
    private final String modelId;
    private final String revision;
    private final int layer;
    private final boolean keepCls;

    private ClipEncoder(NDManager manager, ClipImageProcessor processor, ClipVisionModel model, String modelId,
                        String revision, int layer, boolean keepCls) {
        this.manager = manager;
        this.processor = processor;
        this.model = model;
        this.modelId = modelId;
        this.revision = revision;
        this.layer = layer;
        this.keepCls = keepCls;
    }

    /** Resolves (downloading if needed) and loads the checkpoint {@code spec} names; see {@link ClipSpec#open}. */
    static ClipEncoder load(ClipSpec spec, HubEnvironment env, DownloadListener progress) {
        CheckpointResolver.Resolved resolved = new CheckpointResolver(env, progress)
                .resolve(spec.model(), List.of("preprocessor_config.json"));
        Path dir = resolved.dir();
        ClipPreprocessorConfig pre = ClipPreprocessorConfig.read(dir.resolve("preprocessor_config.json"));
        NDManager manager = NDManager.newBaseManager(spec.device());
        try {
            ClipVisionModel vision = ClipVisionModel.load(dir, resolved.weightFiles(), manager);
            vision.config().hiddenStateIndex(spec.layer(), spec.model().toString());
            if (pre.cropHeight() != vision.config().imageSize() || pre.cropWidth() != vision.config().imageSize()) {
                throw new IllegalArgumentException(spec.model() + ": the processor crops " + pre.cropHeight() + "x"
                        + pre.cropWidth() + " but the vision tower takes " + vision.config().imageSize() + " pixels");
            }
            return new ClipEncoder(manager, new ClipImageProcessor(pre), vision, spec.model().displayId(),
                    resolved.commit(), spec.layer(), spec.keepCls());
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** An encoder of the given size with random weights (benchmarks); features are meaningless. */
    public static ClipEncoder random(ClipVisionConfig vision, ClipPreprocessorConfig pre, int layer, Device device, long seed) {
        NDManager manager = NDManager.newBaseManager(device);
        return new ClipEncoder(manager, new ClipImageProcessor(pre), ClipVisionModel.random(vision, manager, seed),
                "random-weights", "none", layer, false);
    }

    public String modelId() {
        return modelId;
    }

    public String revision() {
        return revision;
    }

    public int layer() {
        return layer;
    }

    public boolean keepCls() {
        return keepCls;
    }

    public ClipImageProcessor processor() {
        return processor;
    }

    /** Features of a batch of images, in one forward pass. */
    public List<Features> encode(List<RgbImage> images) {
        return encodePixels(preprocess(images), images.size());
    }

    /** pixel_values of a batch, [n, 3, size, size] flattened. */
    public float[] preprocess(List<RgbImage> images) {
        int size = model.config().imageSize();
        float[] batch = new float[images.size() * 3 * size * size];
        for (int i = 0; i < images.size(); i++) {
            float[] pixels = processor.pixelValues(images.get(i));
            System.arraycopy(pixels, 0, batch, i * pixels.length, pixels.length);
        }
        return batch;
    }

    /** Features from ready pixel values [n, 3, size, size] flattened. */
    public List<Features> encodePixels(float[] pixelValues, int n) {
        int size = model.config().imageSize();
        try (NDManager scope = manager.newSubManager()) {
            NDArray pixels = scope.create(pixelValues, new Shape(n, 3, size, size));
            NDArray features = model.features(pixels, layer, keepCls);      // [n, T, D]
            int tokens = (int) features.getShape().get(1);
            int dim = (int) features.getShape().get(2);
            float[] all = features.toFloatArray();
            List<Features> out = new java.util.ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                float[] one = new float[tokens * dim];
                System.arraycopy(all, i * one.length, one, 0, one.length);
                out.add(new Features(tokens, dim, one));
            }
            return out;
        }
    }

    @Override
    public void close() {
        model.close();
        manager.close();
    }
}

package dev.caption.nn.train;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.caption.nn.adapter.AdapterSpec;
import dev.caption.nn.hub.ModelRef;

import dev.caption.nn.weights.MappedSafetensors;
import dev.caption.tensor.DType;
import dev.caption.tensor.Float16;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsHeader;
import dev.caption.tensor.Tensor;

/**
 * CLIP features computed once and kept on disk, so training never re-runs CLIP: a directory of fp16 safetensors
 * shards (one [tokens, dim] tensor per image id, {@value #SHARD_SIZE} images a shard, memory-mapped when read) and
 * {@code cache.json} naming the encoder, layer and CLS choice the features came from. Adding images appends shards.
 */
public final class FeatureCache implements FeatureSource, AutoCloseable {

    public static final int SHARD_SIZE = 512;
    private static final String INDEX = "cache.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * Which features these are; a cache is only reused for the same encoder, layer and CLS choice. Image features
     * are [tokens, dim] each; audio features [frames, dim] with 1 ≤ frames ≤ tokens, each stored with its own
     * length. A cache.json without a modality holds image features.
     */
    public record Source(String model, String revision, int layer, boolean keepCls, int tokens, int dim, String modality) {

        public Source {
            modality = modality == null ? AdapterSpec.Vision.IMAGE : modality;
        }

        /** The same features: the same model (a directory under another path is the same model), layer, CLS and shape. */
        boolean sameFeatures(Source o) {
            return ModelRef.sameModel(model, o.model) && revision.equals(o.revision) && layer == o.layer
                    && keepCls == o.keepCls && tokens == o.tokens && dim == o.dim && modality.equals(o.modality);
        }

        boolean audio() {
            return AdapterSpec.Vision.AUDIO.equals(modality);
        }

        /** Whether features with these properties are these features (for audio: any length up to {@code tokens}). */
        public boolean accepts(String model, String modality, int layer, boolean keepCls, long frames, long dim) {
            return ModelRef.sameModel(this.model, model) && this.modality.equals(modality) && this.layer == layer
                    && this.keepCls == keepCls && dim == this.dim
                    && (audio() ? frames >= 1 && frames <= tokens : frames == tokens);
        }
    }

    /** cache.json: the source and which shard holds each id. */
    record Index(Source source, Map<String, String> shards) {
    }

    private final Path dir;
    private final Source source;
    private final Map<String, String> shardOf;
    private final Map<String, MappedSafetensors> open = new LinkedHashMap<>();
    private final Map<String, float[]> pending = new LinkedHashMap<>();

    private FeatureCache(Path dir, Source source, Map<String, String> shardOf) {
        this.dir = dir;
        this.source = source;
        this.shardOf = shardOf;
    }

    /**
     * Opens the cache in {@code dir}, creating it for {@code source} if absent; an existing cache made from other
     * features is refused, naming both.
     */
    public static FeatureCache open(Path dir, Source source) {
        Path index = dir.resolve(INDEX);
        try {
            if (Files.isRegularFile(index)) {
                Index i = JSON.readValue(index.toFile(), Index.class);
                if (!i.source().sameFeatures(source)) {
                    throw new IllegalArgumentException("feature cache " + dir + " holds features of " + i.source()
                            + ", not of " + source + "; use another --features directory");
                }
                return new FeatureCache(dir, source, new TreeMap<>(i.shards()));
            }
            Files.createDirectories(dir);
            return new FeatureCache(dir, source, new TreeMap<>());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read feature cache " + index + ": " + e.getMessage(), e);
        }
    }

    public Source source() {
        return source;
    }

    public boolean contains(String id) {
        return shardOf.containsKey(id) || pending.containsKey(id);
    }

    /** Ids of {@code wanted} that are not cached yet. */
    public List<String> missing(List<String> wanted) {
        return wanted.stream().filter(id -> !contains(id)).toList();
    }

    /**
     * Adds one item's features, [tokens, dim] for an image, [frames, dim] for a clip; written with the next full
     * shard or {@link #flush()}.
     */
    public void put(String id, float[] features) {
        int frames = features.length / source.dim();
        boolean fits = features.length % source.dim() == 0 && (source.audio() ? frames >= 1 && frames <= source.tokens()
                : frames == source.tokens());
        if (!fits) {
            throw new IllegalArgumentException("features of " + id + " have " + features.length + " values, not "
                    + (source.audio() ? "1.." : "") + source.tokens() + " x " + source.dim());
        }
        pending.put(id, features);
        if (pending.size() >= SHARD_SIZE) {
            flush();
        }
    }

    /** Writes pending features as a new shard and updates cache.json. */
    public void flush() {
        if (pending.isEmpty()) {
            return;
        }
        String shard = String.format("shard-%05d.safetensors", new java.util.HashSet<>(shardOf.values()).size());
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        pending.forEach((id, f) -> tensors.put(id, Tensor.ofFloats(DType.F16, new long[] {f.length / source.dim(), source.dim()}, f)));
        try {
            Files.write(dir.resolve(shard), Safetensors.encode(tensors, Map.of("model", source.model(),
                    "layer", Integer.toString(source.layer()))));
            pending.keySet().forEach(id -> shardOf.put(id, shard));
            pending.clear();
            Path tmp = dir.resolve(INDEX + ".tmp");
            JSON.writeValue(tmp.toFile(), new Index(source, shardOf));
            Files.move(tmp, dir.resolve(INDEX), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write feature cache " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public float[] features(String id) {
        float[] p = pending.get(id);
        if (p != null) {
            return p;
        }
        String shard = shardOf.get(id);
        if (shard == null) {
            throw new IllegalArgumentException("image " + id + " is not in the feature cache " + dir);
        }
        MappedSafetensors file = open.computeIfAbsent(shard, s -> MappedSafetensors.open(dir.resolve(s)));
        SafetensorsHeader.Entry e = file.header().entries().get(id);
        ByteBuffer half = file.map(e).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[Math.toIntExact(e.byteLength() / 2)];
        for (int i = 0; i < out.length; i++) {
            out[i] = Float16.toFloat(half.getShort(2 * i));
        }
        return out;
    }

    @Override
    public int tokens() {
        return source.tokens();
    }

    @Override
    public int dim() {
        return source.dim();
    }

    public List<String> ids() {
        List<String> ids = new ArrayList<>(shardOf.keySet());
        ids.addAll(pending.keySet());
        return ids;
    }

    @Override
    public void close() {
        flush();
        open.values().forEach(MappedSafetensors::close);
        open.clear();
    }
}

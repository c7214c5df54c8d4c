package dev.caption.nn.adapter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.caption.nn.hub.ModelRef;
import dev.caption.nn.qwen3.Prompt;

/**
 * {@code adapter.json}: what an adapter is (strategy and sizes), what it was trained on (the CLIP features: encoder
 * id, revision, layer, CLS flag, token count and width; the LLM: id, revision, hidden size), the prompt its prefix
 * is spliced into, and a training summary.
 *
 * @param id       the adapter's id, carried in every prefix frame it makes
 * @param options  strategy options (e.g. {@code grid} for avgpool); absent ones take the strategy's default
 * @param training free-form summary written by the trainer (steps, losses, data, seed)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AdapterSpec(String format, String id, String strategy, Map<String, Integer> options, Vision vision,
                          Llm llm, Prompt prompt, Map<String, Object> training) {

    public static final String FORMAT = "caption-adapter/1";
    public static final String JSON = "adapter.json";
    public static final String WEIGHTS = "adapter.safetensors";

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /**
     * The features the adapter reads: hidden state {@code layer} of {@code model}, [tokens, dim]. Image features
     * (CLIP) always have {@code tokens} rows; audio features (Whisper) are a sequence of as many frames as the clip
     * covers, at most {@code tokens} (the encoder's window, 1500 for 30 s). Written as {@code "vision"} in
     * adapter.json; a spec without {@code modality} is an image adapter.
     */
    public record Vision(String model, String revision, int layer, boolean keepCls, int tokens, int dim, String modality) {

        public static final String IMAGE = "image";
        public static final String AUDIO = "audio";

        public Vision {
            modality = modality == null ? IMAGE : modality;
            if (!IMAGE.equals(modality) && !AUDIO.equals(modality)) {
                throw new IllegalArgumentException("adapter.json: unknown modality '" + modality + "' (image or audio)");
            }
        }

        /** Image features: exactly {@code tokens} rows. */
        public static Vision image(String model, String revision, int layer, boolean keepCls, int tokens, int dim) {
            return new Vision(model, revision, layer, keepCls, tokens, dim, IMAGE);
        }

        /** Audio features: a sequence of 1 to {@code maxFrames} frames. */
        public static Vision audio(String model, String revision, int layer, int maxFrames, int dim) {
            return new Vision(model, revision, layer, false, maxFrames, dim, AUDIO);
        }

        public boolean audio() {
            return AUDIO.equals(modality);
        }
    }

    /** The LLM whose hidden space the prefix is in. */
    public record Llm(String model, String revision, int hiddenSize) {
    }

    public AdapterSpec {
        if (strategy == null) {
            throw new IllegalArgumentException("adapter.json has no strategy");
        }
        if (vision == null || llm == null) {
            throw new IllegalArgumentException("adapter.json must name the vision features and the LLM it was made for");
        }
        if (prompt == null) {
            throw new IllegalArgumentException("adapter.json has no prompt (the text with " + Prompt.SLOT
                    + " where the prefix goes)");
        }
        options = options == null ? Map.of() : Map.copyOf(new TreeMap<>(options));
        training = training == null ? Map.of() : training;
    }

    /**
     * A spec of {@code strategy} for the given features and LLM, with no options and the prompt of the features'
     * modality ({@link Prompt#IMAGE} or {@link Prompt#AUDIO}).
     */
    public static Builder builder(String strategy, Vision vision, Llm llm) {
        return new Builder(strategy, vision, llm);
    }

    public static final class Builder {
        private final String strategy;
        private final Vision vision;
        private final Llm llm;
        private String id;
        private Map<String, Integer> options = Map.of();
        private Prompt prompt;
        private Map<String, Object> training = Map.of();

        private Builder(String strategy, Vision vision, Llm llm) {
            this.strategy = strategy;
            this.vision = vision;
            this.llm = llm;
        }

        /** The id carried in every prefix frame (default: the strategy). */
        public Builder id(String id) {
            this.id = id;
            return this;
        }

        public Builder options(Map<String, Integer> options) {
            this.options = options;
            return this;
        }

        public Builder prompt(Prompt prompt) {
            this.prompt = prompt;
            return this;
        }

        public Builder training(Map<String, Object> training) {
            this.training = training;
            return this;
        }

        public AdapterSpec build() {
            Prompt p = prompt != null ? prompt : vision != null && vision.audio() ? Prompt.AUDIO : Prompt.IMAGE;
            return new AdapterSpec(FORMAT, id != null ? id : strategy, strategy, options, vision, llm, p, training);
        }
    }

    /** An option, or {@code fallback} when the spec does not set it. */
    public int option(String name, int fallback) {
        return options.getOrDefault(name, fallback);
    }

    public AdapterSpec withTraining(Map<String, Object> summary) {
        return new AdapterSpec(format, id, strategy, options, vision, llm, prompt, summary);
    }

    public AdapterSpec withId(String newId) {
        return new AdapterSpec(format, newId, strategy, options, vision, llm, prompt, training);
    }

    public static AdapterSpec read(Path dir) {
        Path file = dir.resolve(JSON);
        try {
            AdapterSpec spec = MAPPER.readValue(file.toFile(), AdapterSpec.class);
            if (!FORMAT.equals(spec.format())) {
                throw new IllegalArgumentException(file + " has format " + spec.format() + ", expected " + FORMAT);
            }
            return spec;
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new IllegalArgumentException("adapter not found: " + file + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " is not a valid adapter.json: " + e.getMessage(), e);
        }
    }

    public void write(Path dir) {
        try {
            Files.createDirectories(dir);
            MAPPER.writeValue(dir.resolve(JSON).toFile(), this);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + dir.resolve(JSON) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Refuses features that are not the ones this adapter was trained on, naming each difference with both sides:
     * another encoder, layer, CLS choice or shape. An audio adapter takes any number of frames from 1 to its
     * {@code tokens}; the strategy may need more ({@link Adapter#prefixTokens(int)}).
     */
    public void checkFeatures(String model, int layer, boolean keepCls, long tokens, long dim) {
        List<String> differences = new ArrayList<>();
        if (!ModelRef.sameModel(model, vision.model())) {
            differences.add("encoder " + model + " (adapter: " + vision.model() + ")");
        }
        if (layer != vision.layer()) {
            differences.add("layer " + layer + " (adapter: " + vision.layer() + ")");
        }
        if (keepCls != vision.keepCls()) {
            differences.add((keepCls ? "with" : "without") + " CLS (adapter: " + (vision.keepCls() ? "with" : "without") + ")");
        }
        if (vision.audio() ? tokens < 1 || tokens > vision.tokens() || dim != vision.dim()
                : tokens != vision.tokens() || dim != vision.dim()) {
            differences.add("shape [" + tokens + " x " + dim + "] (adapter: [" + (vision.audio() ? "1.." : "")
                    + vision.tokens() + " x " + vision.dim() + "])");
        }
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException("features do not fit adapter " + id + ": " + String.join(", ", differences));
        }
    }

    /** Refuses an LLM other than the one the adapter projects into. */
    public void checkLlm(String model, int hiddenSize) {
        if (!ModelRef.sameModel(model, llm.model()) || hiddenSize != llm.hiddenSize()) {
            throw new IllegalArgumentException("adapter " + id + " projects into " + llm.model() + " (hidden "
                    + llm.hiddenSize() + ") but the LLM is " + model + " (hidden " + hiddenSize + ")");
        }
    }
}

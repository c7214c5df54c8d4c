package dev.caption.nn.adapter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

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

    /** The features the adapter reads: hidden state {@code layer} of {@code model}, [tokens, dim]. */
    public record Vision(String model, String revision, int layer, boolean keepCls, int tokens, int dim) {
    }

    /** The LLM whose hidden space the prefix is in. */
    public record Llm(String model, String revision, int hiddenSize) {
    }

    /** Text around the prefix (DESIGN.md's caption prompt, as token text). */
    public record Prompt(String before, String after) {
    }

    public AdapterSpec {
        if (strategy == null) {
            throw new IllegalArgumentException("adapter.json has no strategy");
        }
        if (vision == null || llm == null) {
            throw new IllegalArgumentException("adapter.json must name the vision features and the LLM it was made for");
        }
        options = options == null ? Map.of() : Map.copyOf(new TreeMap<>(options));
        training = training == null ? Map.of() : training;
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
     * Refuses features that are not the ones this adapter was trained on, naming both sides: another encoder, layer
     * or CLS choice, or another shape.
     */
    public void checkFeatures(String model, int layer, boolean keepCls, long tokens, long dim) {
        String got = model + " layer " + layer + (keepCls ? " with CLS" : "") + " [" + tokens + " x " + dim + "]";
        String want = vision.model() + " layer " + vision.layer() + (vision.keepCls() ? " with CLS" : "") + " ["
                + vision.tokens() + " x " + vision.dim() + "]";
        if (!sameModel(model, vision.model()) || layer != vision.layer() || keepCls != vision.keepCls()
                || tokens != vision.tokens() || dim != vision.dim()) {
            throw new IllegalArgumentException("features are from " + got + " but adapter " + id + " expects " + want);
        }
    }

    /** Refuses an LLM other than the one the adapter projects into. */
    public void checkLlm(String model, int hiddenSize) {
        if (!sameModel(model, llm.model()) || hiddenSize != llm.hiddenSize()) {
            throw new IllegalArgumentException("adapter " + id + " projects into " + llm.model() + " (hidden "
                    + llm.hiddenSize() + ") but the LLM is " + model + " (hidden " + hiddenSize + ")");
        }
    }

    /** Hub ids compare exactly; local directories by their last path element (a copied checkpoint is the same model). */
    public static boolean sameModel(String a, String b) {
        if (a.equals(b)) {
            return true;
        }
        boolean aDir = a.startsWith("/") || a.startsWith(".");
        boolean bDir = b.startsWith("/") || b.startsWith(".");
        return (aDir || bDir) && Path.of(a).getFileName().equals(Path.of(b).getFileName());
    }
}

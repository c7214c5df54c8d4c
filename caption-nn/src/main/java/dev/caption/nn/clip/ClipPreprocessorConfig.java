package dev.caption.nn.clip;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The fields of {@code preprocessor_config.json} that CLIPImageProcessor uses, read at this one boundary. Both
 * spellings the hub has are accepted: {@code "size": 224} and {@code "size": {"shortest_edge": 224}},
 * {@code "crop_size": 224} and {@code {"height": 224, "width": 224}}.
 */
public record ClipPreprocessorConfig(boolean doResize, int shortestEdge, boolean doCenterCrop, int cropHeight,
                                     int cropWidth, boolean doRescale, double rescaleFactor, boolean doNormalize,
                                     float[] imageMean, float[] imageStd, boolean doConvertRgb, int resample) {

    /** PIL.Image.BICUBIC; the only filter implemented. */
    public static final int BICUBIC = 3;

    public static ClipPreprocessorConfig read(Path file) {
        try {
            return parse(new ObjectMapper().readTree(file.toFile()), file.toString());
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("preprocessor config not found: " + file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read preprocessor config " + file + ": " + e.getMessage(), e);
        }
    }

    static ClipPreprocessorConfig parse(JsonNode n, String where) {
        JsonNode size = n.path("size");
        int shortest = size.isInt() ? size.intValue() : size.path("shortest_edge").asInt(224);
        JsonNode crop = n.path("crop_size");
        int cropH = crop.isInt() ? crop.intValue() : crop.path("height").asInt(224);
        int cropW = crop.isInt() ? crop.intValue() : crop.path("width").asInt(224);
        int resample = n.path("resample").asInt(BICUBIC);
        if (resample != BICUBIC) {
            throw new IllegalArgumentException(where + ": resample " + resample + " is not supported (only bicubic, 3)");
        }
        return new ClipPreprocessorConfig(n.path("do_resize").asBoolean(true), shortest,
                n.path("do_center_crop").asBoolean(true), cropH, cropW, n.path("do_rescale").asBoolean(true),
                n.path("rescale_factor").asDouble(1 / 255.0), n.path("do_normalize").asBoolean(true),
                floats(n.path("image_mean"), new float[] {0.48145466f, 0.4578275f, 0.40821073f}),
                floats(n.path("image_std"), new float[] {0.26862954f, 0.26130258f, 0.27577711f}),
                n.path("do_convert_rgb").asBoolean(true), resample);
    }

    /** openai/clip-vit-base-patch32's settings: shortest edge 224, crop 224, bicubic, CLIP mean and std. */
    public static ClipPreprocessorConfig openaiClip() {
        return parse(new ObjectMapper().createObjectNode(), "defaults");
    }

    /** The same settings with another shortest edge and crop (e.g. the real 224 settings on a tiny model). */
    public ClipPreprocessorConfig withSize(int edge, int crop) {
        return new ClipPreprocessorConfig(doResize, edge, doCenterCrop, crop, crop, doRescale, rescaleFactor,
                doNormalize, imageMean, imageStd, doConvertRgb, resample);
    }

    private static float[] floats(JsonNode array, float[] fallback) {
        if (!array.isArray()) {
            return fallback;
        }
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();      // numpy: np.array(list_of_python_floats, float32)
        }
        return out;
    }
}

package dev.caption.nn.clip;

import dev.caption.image.RgbImage;

/**
 * transformers' (slow) CLIPImageProcessor, reproduced exactly: convert to RGB, resize the shortest edge with PIL
 * bicubic, center crop, rescale in float64 then cast to float32, normalize in float32, HWC to CHW.
 */
public final class ClipImageProcessor {

    private final ClipPreprocessorConfig config;

    public ClipImageProcessor(ClipPreprocessorConfig config) {
        this.config = config;
    }

    public ClipPreprocessorConfig config() {
        return config;
    }

    /** pixel_values of one image: float32 [3, cropHeight, cropWidth] flattened CHW. */
    public float[] pixelValues(RgbImage image) {
        return normalize(resizeAndCrop(image));
    }

    /** The uint8 image after resize and crop, before rescale/normalize (the fixtures' crop_uint8). */
    public RgbImage resizeAndCrop(RgbImage image) {
        RgbImage out = image;
        if (config.doResize()) {
            int[] hw = shortestEdgeSize(image.height(), image.width(), config.shortestEdge());
            if (hw[0] != image.height() || hw[1] != image.width()) {
                out = PilBicubic.resize(out, hw[1], hw[0]);
            }
        }
        if (config.doCenterCrop()) {
            out = centerCrop(out, config.cropHeight(), config.cropWidth());
        }
        return out;
    }

    /** transformers get_resize_output_image_size(default_to_square=False): (height, width). */
    static int[] shortestEdgeSize(int height, int width, int edge) {
        boolean widthIsShort = width <= height;
        int shortSide = widthIsShort ? width : height;
        int longSide = widthIsShort ? height : width;
        int newLong = (int) ((double) edge * longSide / shortSide);   // Python int(size * long / short): truncation
        return widthIsShort ? new int[] {newLong, edge} : new int[] {edge, newLong};
    }

    /** transformers center_crop, zero padding when the image is smaller than the crop. */
    static RgbImage centerCrop(RgbImage in, int cropH, int cropW) {
        int h = in.height();
        int w = in.width();
        int top = Math.floorDiv(h - cropH, 2);
        int left = Math.floorDiv(w - cropW, 2);
        int padTop = 0;
        int padLeft = 0;
        if (top < 0 || left < 0 || top + cropH > h || left + cropW > w) {
            int newH = Math.max(cropH, h);
            int newW = Math.max(cropW, w);
            padTop = (newH - h + 1) / 2;          // ceil((new - orig) / 2)
            padLeft = (newW - w + 1) / 2;
            top = Math.max(0, top + padTop);
            left = Math.max(0, left + padLeft);
        }
        byte[] out = new byte[cropH * cropW * 3];
        for (int y = 0; y < cropH; y++) {
            int sy = top + y - padTop;
            if (sy < 0 || sy >= h) {
                continue;
            }
            for (int x = 0; x < cropW; x++) {
                int sx = left + x - padLeft;
                if (sx < 0 || sx >= w) {
                    continue;
                }
                System.arraycopy(in.rgb(), (sy * w + sx) * 3, out, (y * cropW + x) * 3, 3);
            }
        }
        return new RgbImage(cropW, cropH, out);
    }

    private float[] normalize(RgbImage image) {
        int h = image.height();
        int w = image.width();
        float[] out = new float[3 * h * w];
        for (int c = 0; c < 3; c++) {
            float mean = config.imageMean()[c];
            float std = config.imageStd()[c];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int v = image.get(x, y, c);
                    // numpy: (uint8.astype(float64) * scale).astype(float32), then (x - mean) / std in float32
                    float value = config.doRescale() ? (float) (v * config.rescaleFactor()) : v;
                    if (config.doNormalize()) {
                        value = (value - mean) / std;
                    }
                    out[(c * h + y) * w + x] = value;
                }
            }
        }
        return out;
    }
}

package dev.caption.nn.clip;

import dev.caption.image.RgbImage;

/**
 * Pillow's {@code Image.resize(size, Image.BICUBIC)} for 8-bit RGB, bit for bit (Pillow 9/10, libImaging
 * Resample.c): separable, horizontal pass first, an 8-bit intermediate, coefficients in 22-bit fixed point,
 * bicubic with a = -0.5, and the support widened by the scale factor when downscaling (antialiasing).
 * An axis whose size does not change is not resampled; an image already at the target size is returned as is.
 */
public final class PilBicubic {

    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final double SUPPORT = 2.0;
    private static final double A = -0.5;

    private PilBicubic() {
    }

    public static RgbImage resize(RgbImage in, int outWidth, int outHeight) {
        if (outWidth < 1 || outHeight < 1) {
            throw new IllegalArgumentException("cannot resize to " + outWidth + "x" + outHeight);
        }
        RgbImage image = in;
        if (outWidth != in.width()) {
            image = horizontal(image, outWidth);
        }
        if (outHeight != in.height()) {
            image = vertical(image, outHeight);
        }
        return image;
    }

    /** Coefficients for one axis: bounds[2*i] = first input index, bounds[2*i+1] = count; kk = fixed point. */
    private record Coefficients(int ksize, int[] bounds, int[] kk) {
    }

    static double filter(double x) {
        if (x < 0.0) {
            x = -x;
        }
        if (x < 1.0) {
            return ((A + 2.0) * x - (A + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * A;
        }
        return 0.0;
    }

    // Pillow: precompute_coeffs + normalize_coeffs_8bpc
    private static Coefficients coefficients(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterscale = Math.max(scale, 1.0);
        double support = SUPPORT * filterscale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] bounds = new int[outSize * 2];
        int[] kk = new int[outSize * ksize];
        double[] k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            double ww = 0.0;
            double ss = 1.0 / filterscale;
            int xmin = (int) (center - support + 0.5);           // C truncation toward zero
            if (xmin < 0) {
                xmin = 0;
            }
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) {
                xmax = inSize;
            }
            xmax -= xmin;
            for (int x = 0; x < xmax; x++) {
                double w = filter((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < ksize; x++) {
                double v = x < xmax ? (ww != 0.0 ? k[x] / ww : k[x]) : 0.0;
                kk[xx * ksize + x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS))
                        : (int) (0.5 + v * (1 << PRECISION_BITS));
            }
            bounds[xx * 2] = xmin;
            bounds[xx * 2 + 1] = xmax;
        }
        return new Coefficients(ksize, bounds, kk);
    }

    private static int clip8(int in) {
        if (in >= (1 << PRECISION_BITS << 8)) {
            return 255;
        }
        if (in <= 0) {
            return 0;
        }
        return in >> PRECISION_BITS;
    }

    // Pillow: ImagingResampleHorizontal_8bpc
    private static RgbImage horizontal(RgbImage in, int outWidth) {
        Coefficients c = coefficients(in.width(), outWidth);
        int h = in.height();
        byte[] src = in.rgb();
        byte[] out = new byte[outWidth * h * 3];
        for (int y = 0; y < h; y++) {
            int row = y * in.width() * 3;
            for (int xx = 0; xx < outWidth; xx++) {
                int xmin = c.bounds[xx * 2];
                int xmax = c.bounds[xx * 2 + 1];
                int kOff = xx * c.ksize;
                int ss0 = 1 << (PRECISION_BITS - 1);
                int ss1 = ss0;
                int ss2 = ss0;
                for (int x = 0; x < xmax; x++) {
                    int p = row + (x + xmin) * 3;
                    int w = c.kk[kOff + x];
                    ss0 += (src[p] & 0xFF) * w;
                    ss1 += (src[p + 1] & 0xFF) * w;
                    ss2 += (src[p + 2] & 0xFF) * w;
                }
                int o = (y * outWidth + xx) * 3;
                out[o] = (byte) clip8(ss0);
                out[o + 1] = (byte) clip8(ss1);
                out[o + 2] = (byte) clip8(ss2);
            }
        }
        return new RgbImage(outWidth, h, out);
    }

    // Pillow: ImagingResampleVertical_8bpc
    private static RgbImage vertical(RgbImage in, int outHeight) {
        Coefficients c = coefficients(in.height(), outHeight);
        int w = in.width();
        byte[] src = in.rgb();
        byte[] out = new byte[w * outHeight * 3];
        for (int yy = 0; yy < outHeight; yy++) {
            int ymin = c.bounds[yy * 2];
            int ymax = c.bounds[yy * 2 + 1];
            int kOff = yy * c.ksize;
            for (int xx = 0; xx < w; xx++) {
                int ss0 = 1 << (PRECISION_BITS - 1);
                int ss1 = ss0;
                int ss2 = ss0;
                for (int y = 0; y < ymax; y++) {
                    int p = ((y + ymin) * w + xx) * 3;
                    int k = c.kk[kOff + y];
                    ss0 += (src[p] & 0xFF) * k;
                    ss1 += (src[p + 1] & 0xFF) * k;
                    ss2 += (src[p + 2] & 0xFF) * k;
                }
                int o = (yy * w + xx) * 3;
                out[o] = (byte) clip8(ss0);
                out[o + 1] = (byte) clip8(ss1);
                out[o + 2] = (byte) clip8(ss2);
            }
        }
        return new RgbImage(w, outHeight, out);
    }
}

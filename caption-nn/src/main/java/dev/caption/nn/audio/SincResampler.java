package dev.caption.nn.audio;

/**
 * Band-limited resampling as {@code torchaudio.functional.resample} does it with its defaults
 * ({@code sinc_interp_hann}, {@code lowpass_filter_width=6}, {@code rolloff=0.99}): both rates are divided by
 * their gcd, and each of the {@code new} output phases is a Hann-windowed sinc kernel of {@code 2·width + orig}
 * taps, applied as a strided convolution over the zero-padded input. No library reproduces torchaudio's kernel, so
 * this is its {@code _get_sinc_resample_kernel} and {@code _apply_sinc_resample_kernel}, line by line (in float64:
 * torchaudio builds the kernel in the waveform's float32, which differs by about 1e-7).
 */
public final class SincResampler {

    static final int LOWPASS_FILTER_WIDTH = 6;
    static final double ROLLOFF = 0.99;

    private SincResampler() {
    }

    /** {@code x} at {@code orig} Hz as {@code target} Hz: {@code ceil(target · n / orig)} samples. */
    public static float[] resample(float[] x, int orig, int target) {
        if (orig <= 0 || target <= 0) {
            throw new IllegalArgumentException("sample rates must be positive: " + orig + " -> " + target);
        }
        if (orig == target) {
            return x.clone();
        }
        int gcd = gcd(orig, target);
        int o = orig / gcd;                                      // orig_freq = int(orig_freq) // gcd
        int n = target / gcd;                                    // new_freq = int(new_freq) // gcd
        double baseFreq = Math.min(o, n) * ROLLOFF;              // base_freq = min(orig, new) * rolloff
        int width = (int) Math.ceil(LOWPASS_FILTER_WIDTH * o / baseFreq);
        int taps = 2 * width + o;
        double[][] kernel = new double[n][taps];                 // [new, 1, 2w + orig] in torchaudio
        double scale = baseFreq / o;
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < taps; k++) {
                // t = (arange(0, -new, -1)[:, None, None] / new + arange(-width, width + orig)[None, None] / orig)
                double t = (-i / (double) n + (k - width) / (double) o) * baseFreq;
                t = Math.max(-LOWPASS_FILTER_WIDTH, Math.min(LOWPASS_FILTER_WIDTH, t));  // t.clamp_(-lpw, lpw)
                double window = Math.pow(Math.cos(t * Math.PI / LOWPASS_FILTER_WIDTH / 2), 2);
                t *= Math.PI;
                double sinc = t == 0 ? 1.0 : Math.sin(t) / t;   // where(t == 0, 1.0, sin(t) / t)
                kernel[i][k] = sinc * window * scale;            // kernels *= window * scale
            }
        }
        int length = x.length;
        // F.pad(waveform, (width, width + orig)); conv1d(stride=orig): output frames floor(length / orig) + 1
        int frames = length / o + 1;
        int targetLength = (int) Math.ceil((double) n * length / o);
        float[] out = new float[targetLength];
        for (int j = 0; j < frames; j++) {
            int start = j * o - width;                           // the first tap's input index
            for (int i = 0; i < n; i++) {
                int index = j * n + i;                           // resampled.transpose(1, 2).reshape(-1)
                if (index >= targetLength) {
                    break;
                }
                double[] kern = kernel[i];
                double acc = 0;
                int kFrom = Math.max(0, -start);
                int kTo = Math.min(taps, length - start);
                for (int k = kFrom; k < kTo; k++) {
                    acc += x[start + k] * kern[k];
                }
                out[index] = (float) acc;
            }
        }
        return out;
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }
}

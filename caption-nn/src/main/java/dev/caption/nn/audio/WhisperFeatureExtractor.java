package dev.caption.nn.audio;

import org.jtransforms.fft.DoubleFFT_1D;

/**
 * transformers' {@code WhisperFeatureExtractor} (its numpy path, {@code _np_extract_fbank_features}), for one clip
 * at the config's sampling rate:
 * <ol>
 *   <li>pad with zeros, or truncate, to 30 s ({@code n_samples});</li>
 *   <li>STFT: n_fft 400, hop 160, a periodic Hann window, centred (reflect-padded by n_fft / 2), one-sided;</li>
 *   <li>power |X|², 80 Slaney-normalised mel filters on the Slaney mel scale from 0 to 8 kHz, floor 1e-10, log10;</li>
 *   <li>the last frame dropped, then {@code max(x, max(x) − 8)} and {@code (x + 4) / 4}.</li>
 * </ol>
 * The FFT is JTransforms' (any length, double precision); as transformers stores the spectrum as complex64, each
 * bin is rounded to float before squaring.
 */
public final class WhisperFeatureExtractor {

    private final WhisperFeatureConfig config;
    /** mel_filters [n_fft / 2 + 1, feature_size], as transformers' mel_filter_bank returns them */
    private final double[][] melFilters;
    /** window_function(n_fft, "hann"), periodic */
    private final double[] window;

    public WhisperFeatureExtractor(WhisperFeatureConfig config) {
        if (config.dither() != 0) {
            throw new IllegalArgumentException("dither " + config.dither() + " adds random noise; only dither 0 is reproducible");
        }
        this.config = config;
        this.melFilters = melFilterBank(config.nFft() / 2 + 1, config.featureSize(), 0.0, config.samplingRate() / 2.0,
                config.samplingRate());
        this.window = new double[config.nFft()];
        for (int n = 0; n < window.length; n++) {
            // np.hanning(n_fft + 1)[:-1]
            window[n] = 0.5 - 0.5 * Math.cos(2 * Math.PI * n / config.nFft());
        }
    }

    public WhisperFeatureConfig config() {
        return config;
    }

    /** {@code input_features} [feature_size, nb_max_frames] (80 × 3000), row-major. */
    public float[] extract(float[] samples) {
        int nSamples = config.nSamples();
        int nFft = config.nFft();
        int hop = config.hopLength();
        int pad = nFft / 2;
        // padding="max_length" with zeros / truncation to n_samples, then np.pad(..., (pad, pad), mode="reflect")
        double[] x = new double[nSamples + 2 * pad];
        int n = Math.min(samples.length, nSamples);
        for (int i = 0; i < n; i++) {
            x[pad + i] = samples[i];
        }
        for (int i = 0; i < pad; i++) {
            x[pad - 1 - i] = x[pad + 1 + i];                         // reflect: the edge sample is not repeated
            x[pad + nSamples + i] = x[pad + nSamples - 2 - i];
        }
        int frames = 1 + (x.length - nFft) / hop;                    // 3001
        int bins = nFft / 2 + 1;
        int mels = config.featureSize();
        int kept = frames - 1;                                       // log_spec[:, :-1]
        float[] out = new float[mels * kept];
        DoubleFFT_1D fft = new DoubleFFT_1D(nFft);
        double[] buffer = new double[nFft];
        double[] power = new double[bins];
        float max = Float.NEGATIVE_INFINITY;
        for (int f = 0; f < kept; f++) {
            int start = f * hop;
            for (int i = 0; i < nFft; i++) {
                buffer[i] = x[start + i] * window[i];                // buffer[:frame_length] *= window
            }
            fft.realForward(buffer);                                 // np.fft.rfft(buffer), packed
            power[0] = sq((float) buffer[0]);
            for (int k = 1; k < bins - 1; k++) {
                float re = (float) buffer[2 * k];
                float im = (float) buffer[2 * k + 1];
                power[k] = (double) re * re + (double) im * im;      // np.abs(complex64, dtype=float64) ** 2
            }
            power[bins - 1] = nFft % 2 == 0 ? sq((float) buffer[1])
                    : (double) (float) buffer[2 * (bins - 1)] * (float) buffer[2 * (bins - 1)]
                    + (double) (float) buffer[1] * (float) buffer[1];
            for (int m = 0; m < mels; m++) {
                double acc = 0;                                      // np.dot(mel_filters.T, spectrogram)
                for (int k = 0; k < bins; k++) {
                    acc += melFilters[k][m] * power[k];
                }
                float v = (float) Math.log10(Math.max(1e-10, acc));  // np.maximum(mel_floor, ...), np.log10, as float32
                out[m * kept + f] = v;
                max = Math.max(max, v);
            }
        }
        float floor = max - 8.0f;                                    // np.maximum(log_spec, log_spec.max() - 8.0)
        for (int i = 0; i < out.length; i++) {
            out[i] = (Math.max(out[i], floor) + 4.0f) / 4.0f;        // (log_spec + 4.0) / 4.0
        }
        return out;
    }

    private static double sq(float v) {
        return (double) v * v;
    }

    /**
     * transformers' {@code mel_filter_bank(num_frequency_bins, num_mel_filters, min_frequency, max_frequency,
     * sampling_rate, norm="slaney", mel_scale="slaney")}: [bins, mels].
     */
    static double[][] melFilterBank(int bins, int mels, double minHz, double maxHz, int samplingRate) {
        double melMin = hertzToMel(minHz);
        double melMax = hertzToMel(maxHz);
        double[] filterFreqs = new double[mels + 2];
        for (int i = 0; i < mels + 2; i++) {
            // mel_to_hertz(np.linspace(mel_min, mel_max, num_mel_filters + 2))
            filterFreqs[i] = melToHertz(melMin + (melMax - melMin) * i / (mels + 1));
        }
        double[] fftFreqs = new double[bins];
        for (int k = 0; k < bins; k++) {
            fftFreqs[k] = (double) (samplingRate / 2) * k / (bins - 1);    // np.linspace(0, sampling_rate // 2, bins)
        }
        double[][] filters = new double[bins][mels];
        for (int k = 0; k < bins; k++) {
            for (int m = 0; m < mels; m++) {
                // _create_triangular_filter_bank: slopes = filter_freqs - fft_freqs
                double down = -(filterFreqs[m] - fftFreqs[k]) / (filterFreqs[m + 1] - filterFreqs[m]);
                double up = (filterFreqs[m + 2] - fftFreqs[k]) / (filterFreqs[m + 2] - filterFreqs[m + 1]);
                double tri = Math.max(0, Math.min(down, up));
                // slaney norm: enorm = 2.0 / (filter_freqs[2:] - filter_freqs[:-2])
                filters[k][m] = tri * (2.0 / (filterFreqs[m + 2] - filterFreqs[m]));
            }
        }
        return filters;
    }

    private static final double MIN_LOG_HERTZ = 1000.0;
    private static final double MIN_LOG_MEL = 15.0;
    /** hertz_to_mel(freq, mel_scale="slaney"): linear below 1 kHz, then logstep = 27 / ln(6.4) mels per e-fold. */
    static double hertzToMel(double hz) {
        return hz >= MIN_LOG_HERTZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HERTZ) * (27.0 / Math.log(6.4)) : 3.0 * hz / 200.0;
    }

    /** mel_to_hertz(mels, mel_scale="slaney"), the inverse: its logstep is ln(6.4) / 27. */
    static double melToHertz(double mel) {
        return mel >= MIN_LOG_MEL ? MIN_LOG_HERTZ * Math.exp(Math.log(6.4) / 27.0 * (mel - MIN_LOG_MEL)) : 200.0 * mel / 3.0;
    }

    /** Encoder frames that cover {@code samples} of real audio: ceil(samples / (2 · hop)), at most the chunk's. */
    public int encoderFrames(int samples) {
        int perFrame = 2 * config.hopLength();                      // conv2 has stride 2
        return Math.min(config.nbMaxFrames() / 2, (samples + perFrame - 1) / perFrame);
    }
}

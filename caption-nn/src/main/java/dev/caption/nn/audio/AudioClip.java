package dev.caption.nn.audio;

/**
 * Decoded audio: samples in [-1, 1) per channel ({@code channels[c][i]}), at {@code sampleRate} Hz.
 */
public record AudioClip(int sampleRate, float[][] channels) {

    public AudioClip {
        if (sampleRate <= 0) {
            throw new IllegalArgumentException("sample rate " + sampleRate);
        }
        if (channels.length == 0) {
            throw new IllegalArgumentException("no channels");
        }
        for (float[] c : channels) {
            if (c.length != channels[0].length) {
                throw new IllegalArgumentException("channels of different lengths");
            }
        }
    }

    public int frames() {
        return channels[0].length;
    }

    public double seconds() {
        return frames() / (double) sampleRate;
    }

    /** The mean over channels, as {@code waveform.mean(dim=0)} in float32. A mono clip's one channel as it is. */
    public float[] mono() {
        if (channels.length == 1) {
            return channels[0];
        }
        float[] out = new float[frames()];
        for (int i = 0; i < out.length; i++) {
            float sum = 0;
            for (float[] c : channels) {
                sum += c[i];
            }
            out[i] = sum / channels.length;
        }
        return out;
    }
}

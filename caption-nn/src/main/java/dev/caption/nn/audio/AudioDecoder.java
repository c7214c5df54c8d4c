package dev.caption.nn.audio;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.UnsupportedAudioFileException;

/**
 * Audio files to float samples through {@code javax.sound}: WAV, AIFF and AU with PCM samples, and FLAC through
 * jflac's javax.sound provider (decoded to PCM first). Integer PCM of 8, 16, 24 or 32 bits becomes
 * {@code value / 2^(bits-1)}, so 16-bit audio is {@code int16 / 32768} as soundfile and torchaudio give it; 32-bit
 * float PCM is taken as it is. A clip longer than {@code maxSeconds} is refused from its header, before its samples
 * are read.
 */
public final class AudioDecoder {

    private final double maxSeconds;

    public AudioDecoder(double maxSeconds) {
        this.maxSeconds = maxSeconds;
    }

    public AudioClip decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new AudioDecodeException("no audio bytes");
        }
        try (AudioInputStream raw = AudioSystem.getAudioInputStream(new ByteArrayInputStream(bytes));
             AudioInputStream in = pcm(raw)) {
            AudioFormat f = in.getFormat();
            int channels = f.getChannels();
            int bits = f.getSampleSizeInBits();
            boolean floating = f.getEncoding().equals(AudioFormat.Encoding.PCM_FLOAT);
            boolean signed = f.getEncoding().equals(AudioFormat.Encoding.PCM_SIGNED);
            boolean unsigned = f.getEncoding().equals(AudioFormat.Encoding.PCM_UNSIGNED);
            if (!(floating && bits == 32) && !((signed || unsigned) && (bits == 8 || bits == 16 || bits == 24 || bits == 32))) {
                throw new AudioDecodeException("unsupported audio encoding " + f.getEncoding() + " with " + bits
                        + "-bit samples (PCM of 8, 16, 24 or 32 bits, or 32-bit float, is)");
            }
            if (channels < 1 || f.getSampleRate() <= 0) {
                throw new AudioDecodeException("audio header gives " + channels + " channels at " + f.getSampleRate() + " Hz");
            }
            long frames = in.getFrameLength();
            if (frames != AudioSystem.NOT_SPECIFIED) {
                requireWithinLimit(frames / f.getSampleRate());
            }
            byte[] pcm = in.readAllBytes();
            int frameBytes = f.getFrameSize();
            int n = pcm.length / frameBytes;
            if (n == 0) {
                throw new AudioDecodeException("the audio has no samples");
            }
            requireWithinLimit(n / f.getSampleRate());
            ByteBuffer buf = ByteBuffer.wrap(pcm).order(f.isBigEndian() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
            int bytesPerSample = bits / 8;
            float scale = (float) Math.pow(2, bits - 1);
            float[][] out = new float[channels][n];
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < channels; c++) {
                    int at = i * frameBytes + c * bytesPerSample;
                    out[c][i] = floating ? buf.getFloat(at) : integerSample(buf, at, bits, unsigned) / scale;
                }
            }
            return new AudioClip(Math.round(f.getSampleRate()), out);
        } catch (UnsupportedAudioFileException e) {
            throw new AudioDecodeException("not a WAV, AIFF, AU or FLAC file that javax.sound reads (corrupt or truncated?)", e);
        } catch (IOException | RuntimeException e) {
            if (e instanceof AudioDecodeException ade) {
                throw ade;
            }
            throw new AudioDecodeException("corrupt or truncated audio: " + e.getMessage(), e);
        }
    }

    /** Refuses a clip of {@code seconds} over the limit: from its header when it gives a length, else once read. */
    private void requireWithinLimit(double seconds) {
        if (seconds > maxSeconds) {
            throw new AudioDecodeException(String.format(java.util.Locale.ROOT, "audio of %.1f s exceeds the limit of %.1f s",
                    seconds, maxSeconds));
        }
    }

    /** A compressed stream (FLAC) as signed little-endian PCM of its own bit depth; PCM streams as they are. */
    private static AudioInputStream pcm(AudioInputStream in) {
        AudioFormat f = in.getFormat();
        AudioFormat.Encoding e = f.getEncoding();
        if (e.equals(AudioFormat.Encoding.PCM_SIGNED) || e.equals(AudioFormat.Encoding.PCM_UNSIGNED)
                || e.equals(AudioFormat.Encoding.PCM_FLOAT)) {
            return in;
        }
        int bits = f.getSampleSizeInBits() > 0 ? f.getSampleSizeInBits() : 16;
        AudioFormat target = new AudioFormat(AudioFormat.Encoding.PCM_SIGNED, f.getSampleRate(), bits, f.getChannels(),
                f.getChannels() * ((bits + 7) / 8), f.getSampleRate(), false);
        if (!AudioSystem.isConversionSupported(target, f)) {
            throw new AudioDecodeException("unsupported audio encoding " + e + " (PCM and FLAC are)");
        }
        return AudioSystem.getAudioInputStream(target, in);
    }

    private static int integerSample(ByteBuffer buf, int at, int bits, boolean unsigned) {
        return switch (bits) {
            case 8 -> unsigned ? (buf.get(at) & 0xFF) - 128 : buf.get(at);
            case 16 -> buf.getShort(at);
            case 24 -> buf.order() == ByteOrder.LITTLE_ENDIAN
                    ? (buf.get(at) & 0xFF) | (buf.get(at + 1) & 0xFF) << 8 | buf.get(at + 2) << 16
                    : (buf.get(at + 2) & 0xFF) | (buf.get(at + 1) & 0xFF) << 8 | buf.get(at) << 16;
            default -> buf.getInt(at);
        };
    }
}

package dev.caption.nn.tones;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;

/**
 * The synthetic tones world, the audio counterpart of the shapes world: clips of 1.8 to 2.4 s of one sine tone at
 * one of three pitches, played in one of three rhythms, with templated captions. Each clip is drawn afresh from a
 * seed (length, pitch detuned by up to 3 %, loudness, onset and a little noise vary), so an adapter has to learn
 * pitch and rhythm, not memorise waveforms, and clips give feature sequences of different lengths. Clips are 16-bit
 * PCM WAV at 16 kHz, the bytes a publisher would send.
 */
public final class TonesWorld {

    public static final int SAMPLE_RATE = 16_000;
    public static final double MIN_SECONDS = 1.8;
    public static final double MAX_SECONDS = 2.4;

    public enum Pitch {
        LOW(220), MIDDLE(440), HIGH(880);

        private final double hertz;

        Pitch(double hertz) {
            this.hertz = hertz;
        }

        public double hertz() {
            return hertz;
        }

        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** How the tone is played, with an adjective and a phrase for the captions. */
    public enum Rhythm {
        STEADY("steady", "that holds steady"), TWICE("double", "that beeps twice"), FAST("rapid", "that beeps quickly");

        private final String adjective;
        private final String phrase;

        Rhythm(String adjective, String phrase) {
            this.adjective = adjective;
            this.phrase = phrase;
        }

        public String adjective() {
            return adjective;
        }

        public String phrase() {
            return phrase;
        }
    }

    /** Caption templates: {p} the pitch, {a} the rhythm's adjective, {r} its phrase. */
    public static final List<String> TEMPLATES = List.of(
            "a {a} {p} tone",
            "a {p} tone {r}",
            "a {a} beep at a {p} pitch");

    /** What one clip plays. */
    public record Sound(Pitch pitch, Rhythm rhythm) {

        /** The reference captions, in template order. */
        public List<String> captions() {
            List<String> out = new ArrayList<>(TEMPLATES.size());
            for (String t : TEMPLATES) {
                out.add(t.replace("{p}", pitch.word()).replace("{a}", rhythm.adjective()).replace("{r}", rhythm.phrase()));
            }
            return out;
        }

        public String slug() {
            return pitch.word() + "-" + rhythm.name().toLowerCase(Locale.ROOT);
        }
    }

    /** One clip: its id, WAV bytes, what it plays and its captions. */
    public record Sample(String id, byte[] wav, Sound sound, List<String> captions) {
    }

    private TonesWorld() {
    }

    /** The nine sounds, pitch-major. */
    public static List<Sound> sounds() {
        List<Sound> out = new ArrayList<>();
        for (Pitch p : Pitch.values()) {
            for (Rhythm r : Rhythm.values()) {
                out.add(new Sound(p, r));
            }
        }
        return out;
    }

    /** {@code count} clips, every sound equally often in a seeded order; ids {@code tone-00000}, ... */
    public static List<Sample> generate(int count, long seed) {
        Random random = new Random(seed);
        List<Sound> order = new ArrayList<>();
        List<Sample> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (order.isEmpty()) {
                order.addAll(sounds());
                Collections.shuffle(order, random);
            }
            Sound sound = order.remove(order.size() - 1);
            out.add(new Sample(String.format("tone-%05d", i), wav(render(sound, random)), sound, sound.captions()));
        }
        return out;
    }

    /** The clip's samples in [-1, 1] at {@link #SAMPLE_RATE}. */
    public static float[] render(Sound sound, Random random) {
        double seconds = MIN_SECONDS + (MAX_SECONDS - MIN_SECONDS) * random.nextDouble();
        int n = (int) Math.round(seconds * SAMPLE_RATE);
        float[] x = new float[n];
        double hertz = sound.pitch().hertz() * (1 + 0.03 * (2 * random.nextDouble() - 1));
        double amplitude = 0.3 + 0.3 * random.nextDouble();
        double onset = 0.05 + 0.15 * random.nextDouble();
        double phase = 2 * Math.PI * random.nextDouble();
        // (start, length) of each beep, in seconds
        List<double[]> beeps = new ArrayList<>();
        switch (sound.rhythm()) {
            case STEADY -> beeps.add(new double[] {onset, 1.4});
            case TWICE -> {
                beeps.add(new double[] {onset, 0.3});
                beeps.add(new double[] {onset + 0.6, 0.3});
            }
            case FAST -> {
                for (double start = onset; start + 0.08 <= seconds - 0.1; start += 0.16) {
                    beeps.add(new double[] {start, 0.08});
                }
            }
        }
        double ramp = 0.005;            // 5 ms fade in and out: no clicks
        for (double[] beep : beeps) {
            int from = (int) (beep[0] * SAMPLE_RATE);
            int to = Math.min(n, (int) ((beep[0] + beep[1]) * SAMPLE_RATE));
            for (int i = from; i < to; i++) {
                double t = (double) i / SAMPLE_RATE;
                double envelope = Math.min(1, Math.min(t - beep[0], beep[0] + beep[1] - t) / ramp);
                x[i] += (float) (amplitude * envelope * Math.sin(2 * Math.PI * hertz * t + phase));
            }
        }
        for (int i = 0; i < n; i++) {
            x[i] += (float) (0.005 * random.nextGaussian());
        }
        return x;
    }

    /** Mono 16-bit PCM WAV bytes of {@code samples} at {@link #SAMPLE_RATE}. */
    public static byte[] wav(float[] samples) {
        byte[] pcm = new byte[samples.length * 2];
        for (int i = 0; i < samples.length; i++) {
            int v = (int) Math.round(Math.max(-1, Math.min(1, samples[i])) * 32767);
            pcm[2 * i] = (byte) v;
            pcm[2 * i + 1] = (byte) (v >> 8);
        }
        AudioFormat format = new AudioFormat(SAMPLE_RATE, 16, 1, true, false);
        try (AudioInputStream in = new AudioInputStream(new ByteArrayInputStream(pcm), format, samples.length)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(pcm.length + 44);
            AudioSystem.write(in, AudioFileFormat.Type.WAVE, out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package dev.caption.nn.whisper;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.caption.nn.audio.AudioClip;
import dev.caption.nn.audio.SincResampler;
import dev.caption.nn.audio.WhisperFeatureConfig;
import dev.caption.nn.audio.WhisperFeatureExtractor;
import dev.caption.nn.hub.CheckpointResolver;
import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.hub.ModelRef;

/**
 * Audio clips to Whisper encoder features, end to end: a mean downmix, resampling to the extractor's rate,
 * log-mel features, the encoder, and only the frames that cover the real audio ({@code ceil(samples / 320)}, so a
 * 2 s clip gives 100 frames, not 1500 of mostly padding). What the encoder-service runs with
 * {@code modality=audio}. Not thread-safe: one caller at a time.
 */
public final class WhisperAudioEncoder implements AutoCloseable {

    /** Features of one clip: row-major [frames, dim], and how many samples (at the extractor's rate) they cover. */
    public record Features(int frames, int dim, float[] values, int samples) {
    }

    private final NDManager manager;
    private final WhisperFeatureExtractor extractor;
    private final WhisperEncoder encoder;
    private final String modelId;
    private final String revision;

    private WhisperAudioEncoder(NDManager manager, WhisperFeatureExtractor extractor, WhisperEncoder encoder,
                                String modelId, String revision) {
        this.manager = manager;
        this.extractor = extractor;
        this.encoder = encoder;
        this.modelId = modelId;
        this.revision = revision;
    }

    /** Resolves (downloading if needed) and loads a Whisper checkpoint: a hub id, {@code id@revision} or a directory. */
    public static WhisperAudioEncoder open(String model, String revision, Device device, HubEnvironment env,
                                           DownloadListener progress) {
        ModelRef ref = ModelRef.parse(model, revision);
        CheckpointResolver.Resolved resolved = new CheckpointResolver(env, progress)
                .resolve(ref, List.of("preprocessor_config.json"));
        Path dir = resolved.dir();
        WhisperFeatureExtractor extractor = new WhisperFeatureExtractor(
                WhisperFeatureConfig.read(dir.resolve("preprocessor_config.json")));
        NDManager manager = NDManager.newBaseManager(device);
        try {
            WhisperEncoder encoder = WhisperEncoder.load(dir, resolved.weightFiles(), manager);
            WhisperConfig c = encoder.config();
            if (c.numMelBins() != extractor.config().featureSize()
                    || c.inputFrames() != extractor.config().nbMaxFrames()) {
                throw new IllegalArgumentException(ref + ": the feature extractor makes " + extractor.config().featureSize()
                        + " x " + extractor.config().nbMaxFrames() + " features, the encoder takes " + c.numMelBins() + " x "
                        + c.inputFrames());
            }
            return new WhisperAudioEncoder(manager, extractor, encoder, ref.displayId(), resolved.commit());
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public String modelId() {
        return modelId;
    }

    public String revision() {
        return revision;
    }

    /** Features are the encoder's last hidden state (after its final layer norm), hidden state -1. */
    public static final int LAST_HIDDEN_STATE = -1;

    /** The most frames a clip gives: the whole window ({@link #chunkSeconds()}), 1500 for 30 s. */
    public int maxFrames() {
        return extractor.encoderFrames(extractor.config().nSamples());
    }

    /** The features' width, the encoder's d_model. */
    public int dim() {
        return encoder.config().dModel();
    }

    /** The rate clips are resampled to (16 kHz for every Whisper). */
    public int sampleRate() {
        return extractor.config().samplingRate();
    }

    /** The longest stretch the encoder sees: the extractor's chunk (30 s); longer clips are truncated to it. */
    public double chunkSeconds() {
        return extractor.config().chunkLength();
    }

    /** Mono samples at {@link #sampleRate()}: the channels' mean, resampled as torchaudio does. */
    public float[] samples(AudioClip clip) {
        return SincResampler.resample(clip.mono(), clip.sampleRate(), sampleRate());
    }

    /** Features of clips already at {@link #sampleRate()}, in one forward pass. */
    public List<Features> encode(List<float[]> clips) {
        int mels = extractor.config().featureSize();
        int frames = extractor.config().nbMaxFrames();
        float[] batch = new float[clips.size() * mels * frames];
        for (int i = 0; i < clips.size(); i++) {
            float[] f = extractor.extract(clips.get(i));
            System.arraycopy(f, 0, batch, i * f.length, f.length);
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray features = scope.create(batch, new Shape(clips.size(), mels, frames));
            NDArray hidden = encoder.forward(features).lastHiddenState();             // [B, positions, D]
            int dim = (int) hidden.getShape().get(2);
            List<Features> out = new ArrayList<>(clips.size());
            for (int i = 0; i < clips.size(); i++) {
                int samples = Math.min(clips.get(i).length, extractor.config().nSamples());
                int kept = extractor.encoderFrames(samples);
                float[] values = hidden.get(new NDIndex("{}, :{}, :", i, kept)).toFloatArray();   // [kept, D]
                out.add(new Features(kept, dim, values, samples));
            }
            return out;
        }
    }

    @Override
    public void close() {
        encoder.close();
        manager.close();
    }
}

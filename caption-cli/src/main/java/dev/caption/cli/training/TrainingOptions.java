package dev.caption.cli.training;

import java.nio.file.Path;

import java.util.Map;
import java.util.TreeMap;

import dev.caption.cli.KafkaOptions;
import dev.caption.cli.SyntheticWorld;
import dev.caption.nn.clip.ClipSpec;
import dev.caption.nn.qwen3.Precision;
import dev.caption.nn.qwen3.Qwen3ForCausalLM;
import dev.caption.nn.qwen3.Qwen3Spec;
import dev.caption.nn.train.TrainSettings;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The data, models and hyper-parameters {@code train} and {@code compare-adapters} share (options only). */
public final class TrainingOptions {

    static final String DEFAULT_CLIP = "openai/clip-vit-base-patch32";
    static final String DEFAULT_LLM = "Qwen/Qwen3-0.6B";
    static final String DEFAULT_AUDIO_ENCODER = "openai/whisper-base";

    @Option(names = "--data", paramLabel = "PATH", description = "Dataset directory or Karpathy-split .json (see `caption dataset info`).")
    Path data;

    @Option(names = "--synthetic", description = {"Train on the synthetic shapes world: " + SyntheticWorld.IMAGES
        + " images drawn into OUT/shapes-data, the bundled clip-tiny and qwen3-shapes (unless --clip/--llm say",
        "otherwise), and for conv a kernel of 4 (clip-tiny's 4x4 patch grid into one prefix token).",
        "With --modality audio, the tones world: " + SyntheticWorld.CLIPS + " clips in AudioCaps' layout in",
        "OUT/tones-data and the bundled whisper-tiny."})
    boolean synthetic;

    @Option(names = "--modality", defaultValue = "image", paramLabel = "image|audio", description = {"What the dataset",
        "holds: images (CLIP features) or audio clips (Whisper encoder features, the audio prompt). Default: ${DEFAULT-VALUE}."})
    String modality;

    @Option(names = "--images", paramLabel = "DIR", description = "Where the images are, if not beside the captions.")
    Path images;

    @Option(names = "--features", paramLabel = "DIR", description = "Feature cache directory (default: OUT/features); reused across runs.")
    Path featuresDir;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--features-from-topic", description = {"First fill the feature cache from caption.features (what the",
        "encoder-service emitted: ids must be the dataset's image ids, e.g. published with --id-from name), then",
        "encode only what it lacks."})
    boolean featuresFromTopic;

    @Option(names = "--clip", paramLabel = "HF-ID|DIR", description = "CLIP checkpoint (default: " + DEFAULT_CLIP
            + "; with --synthetic the bundled clip-tiny).") String clip;
    @Option(names = "--clip-revision", paramLabel = "REV") String clipRevision;
    @Option(names = "--layer", defaultValue = "-2", description = "CLIP hidden state (default: ${DEFAULT-VALUE}, LLaVA's penultimate).") int layer;
    @Option(names = "--keep-cls", description = "Keep the CLS token in the features.") boolean keepCls;
    @Option(names = "--audio-encoder", paramLabel = "HF-ID|DIR", description = "Whisper checkpoint for --modality audio "
            + "(default: " + DEFAULT_AUDIO_ENCODER + "; with --synthetic the bundled whisper-tiny).") String audioEncoder;
    @Option(names = "--audio-encoder-revision", paramLabel = "REV") String audioEncoderRevision;
    @Option(names = "--max-audio-seconds", defaultValue = "600", paramLabel = "S", description = "Longer clips are skipped "
            + "as unreadable (the encoder sees the first 30 s of the rest). Default: ${DEFAULT-VALUE}.") double maxAudioSeconds;
    @Option(names = "--llm", paramLabel = "HF-ID|DIR", description = "Qwen3 checkpoint (default: " + DEFAULT_LLM
            + "; with --synthetic the bundled qwen3-shapes).") String llm;
    @Option(names = "--llm-revision", paramLabel = "REV") String llmRevision;
    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|cuda:N") String device;

    @Option(names = "--epochs", defaultValue = "3") int epochs;
    @Option(names = "--batch-size", defaultValue = "8") int batchSize;
    @Option(names = "--lr", defaultValue = "1e-3") double lr;
    @Option(names = "--weight-decay", defaultValue = "0.01") double weightDecay;
    @Option(names = "--warmup", defaultValue = "20", description = "Warm-up steps, then cosine decay.") int warmup;
    @Option(names = "--clip-grad", defaultValue = "1.0", description = "Global gradient-norm limit (0: none).") double clipGrad;
    @Option(names = "--captions", defaultValue = "random", paramLabel = "random|all",
            description = "Per image and epoch: one random caption, or every caption.") String captions;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--max-caption-tokens", defaultValue = "48") int maxCaptionTokens;
    @Option(names = "--max-steps", defaultValue = "0", description = "Stop after this many steps (0: all epochs).") int maxSteps;
    @Option(names = "--limit", defaultValue = "0", description = "Use only the first N training images (0: all).") int limit;

    TrainSettings settings() {
        if (!captions.equals("random") && !captions.equals("all")) {
            throw new IllegalArgumentException("--captions must be random or all, got " + captions);
        }
        return TrainSettings.builder().epochs(epochs).batchSize(batchSize).learningRate(lr).weightDecay(weightDecay)
                .warmupSteps(warmup).clipNorm(clipGrad).allCaptions(captions.equals("all")).seed(seed)
                .maxCaptionTokens(maxCaptionTokens).maxSteps(maxSteps).build();
    }

    /** {@code --modality}, checked. */
    boolean audio() {
        return switch (modality) {
            case Datasets.IMAGE -> false;
            case Datasets.AUDIO -> true;
            default -> throw new IllegalArgumentException("--modality must be image or audio, got " + modality);
        };
    }

    /**
     * The dataset: {@code --data}, or with {@code --synthetic} the shapes world (or, for audio, the tones world)
     * written under {@code out}.
     */
    Path data(Path out) {
        if (data != null) {
            return data;
        }
        if (!synthetic) {
            throw new IllegalArgumentException("no dataset given: pass --data PATH (or --synthetic for the shapes world)");
        }
        return audio() ? SyntheticWorld.tonesDataset(out.resolve("tones-data"), SyntheticWorld.CLIPS, seed)
                : SyntheticWorld.dataset(out.resolve("shapes-data"), SyntheticWorld.IMAGES, seed);
    }

    String audioEncoderModel() {
        return audioEncoder != null ? audioEncoder : synthetic ? SyntheticWorld.models().audioEncoder().toString()
                : DEFAULT_AUDIO_ENCODER;
    }

    String clipModel() {
        return clip != null ? clip : synthetic ? SyntheticWorld.models().clip().toString() : DEFAULT_CLIP;
    }

    String llmModel() {
        return llm != null ? llm : synthetic ? SyntheticWorld.models().llm().toString() : DEFAULT_LLM;
    }

    /** A strategy's options: the given ones, and with {@code --synthetic} what the world needs for conv. */
    Map<String, Integer> strategyOptions(String strategy, Map<String, Integer> given) {
        Map<String, Integer> all = new TreeMap<>();
        if (synthetic && strategy.equals("conv") && !audio()) {
            all.putAll(SyntheticWorld.STRATEGY_OPTIONS);
        }
        all.putAll(given);
        return all;
    }

    ClipSpec clipSpec() {
        return ClipSpec.builder(clipModel()).revision(clipRevision).layer(layer).keepCls(keepCls).device(device).build();
    }

    /** Training runs the frozen Qwen3 in fp32: gradients through fp16 matmuls are not what the loss was checked on. */
    Qwen3Spec llmSpec() {
        // training goes through the model with gradients; its held-out captions then run on libtorch too
        return Qwen3Spec.builder(llmModel()).revision(llmRevision).device(device).precision(Precision.FP32)
                .use(Qwen3ForCausalLM.Use.TRAINING).build();
    }
}

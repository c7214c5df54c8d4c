package dev.caption.llm;

import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import dev.caption.nn.qwen3.Precision;

/** {@code caption.llm.*} in application.properties (or CAPTION_LLM_* environment variables). */
@ConfigMapping(prefix = "caption.llm")
public interface LlmConfig {

    /** Hugging Face id or local directory of a Qwen3 checkpoint. */
    @WithDefault("Qwen/Qwen3-0.6B")
    String model();

    Optional<String> revision();

    /** cpu, cuda or cuda:N. */
    @WithDefault("cpu")
    String device();

    /** auto (fp32 on CPU, fp16 on GPU), fp32 or fp16; norms and softmax are fp32 either way. */
    @WithDefault("auto")
    Precision precision();

    @WithDefault("32")
    int maxNewTokens();

    /** greedy (deterministic captions), beam or sample. */
    @WithDefault("greedy")
    DecodingKind decoding();

    /** The decoding strategies the service offers. */
    enum DecodingKind { GREEDY, BEAM, SAMPLE }

    @WithDefault("4")
    int numBeams();

    @WithDefault("1.0")
    double lengthPenalty();

    @WithDefault("0.6")
    double temperature();

    @WithDefault("20")
    int topK();

    @WithDefault("0.95")
    double topP();

    @WithDefault("0")
    long seed();

    /** Refuse prefixes made for another LLM (the frame's llm.model); off only for experiments. */
    @WithDefault("true")
    boolean checkModel();
}

package dev.caption.nn.qwen3;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

/**
 * Qwen3's tokenizer.json through DJL's HuggingFaceTokenizer, with truncation and padding off (DJL truncates at 512
 * by default) and no special tokens added (Qwen adds no BOS), and the non-thinking chat template.
 */
public final class Qwen3Tokenizer implements AutoCloseable {

    public static final long IM_START = 151644;
    public static final long IM_END = 151645;
    public static final long ENDOFTEXT = 151643;

    private final HuggingFaceTokenizer tokenizer;

    private Qwen3Tokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    public static Qwen3Tokenizer load(Path tokenizerJson) {
        try {
            return new Qwen3Tokenizer(HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of(
                    "addSpecialTokens", "false", "truncation", "false", "padding", "false")));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot load tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
        }
    }

    public long[] encode(String text) {
        return tokenizer.encode(text, false, false).getIds();
    }

    /** Text of the ids, special tokens skipped (as skip_special_tokens=True). */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    /** apply_chat_template([{"role": "user", "content": text}], add_generation_prompt=True, enable_thinking=False). */
    public static String chat(String userText) {
        return "<|im_start|>user\n" + userText + "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n";
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}

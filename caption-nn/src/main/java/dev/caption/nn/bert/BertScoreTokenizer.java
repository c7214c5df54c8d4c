package dev.caption.nn.bert;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Tokenizes sentences the way bert_score 0.3.13's {@code sent_encode} does: strip; an empty sentence is just the
 * special tokens ({@code [<s>, </s>]}, {@code [CLS, SEP]}); anything else is encoded with special tokens, truncated
 * to the tokenizer's {@code model_max_length}, and for RoBERTa with a prefix space.
 *
 * <p>The prefix space is added in Java: a hub tokenizer.json for roberta-large has {@code add_prefix_space: false}
 * (bert_score passes {@code add_prefix_space=True} to the slow tokenizer), and ByteLevel does not add a second
 * space to text that starts with one, so prepending works for both kinds of file.
 */
public final class BertScoreTokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final boolean prefixSpace;
    private final int maxLength;
    private final long[] empty;

    private BertScoreTokenizer(HuggingFaceTokenizer tokenizer, boolean prefixSpace, int maxLength) {
        this.tokenizer = tokenizer;
        this.prefixSpace = prefixSpace;
        this.maxLength = maxLength;
        this.empty = tokenizer.encode("", true, false).getIds();
        if (empty.length != 2) {
            throw new IllegalArgumentException("the tokenizer does not wrap a sentence in two special tokens: \"\" -> "
                    + java.util.Arrays.toString(empty));
        }
    }

    /** Reads {@code tokenizer.json} and, if present, {@code model_max_length} from {@code tokenizer_config.json}. */
    public static BertScoreTokenizer load(Path dir, BertConfig config) {
        Path json = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(json)) {
            throw new IllegalArgumentException("tokenizer not found: " + json);
        }
        int maxLength = maxLength(dir.resolve("tokenizer_config.json"), config);
        try {
            HuggingFaceTokenizer t = HuggingFaceTokenizer.builder().optTokenizerPath(json).optAddSpecialTokens(true)
                    .optTruncation(true).optMaxLength(maxLength).optPadding(false).build();
            return new BertScoreTokenizer(t, config.architecture() == BertConfig.Architecture.ROBERTA, maxLength);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot load tokenizer " + json + ": " + e.getMessage(), e);
        }
    }

    /** bert_score's ids for {@code sentence}, special tokens included. */
    public long[] encode(String sentence) {
        String s = pythonStrip(sentence);
        if (s.isEmpty()) {
            return empty.clone();
        }
        return tokenizer.encode(prefixSpace ? " " + s : s, true, false).getIds();
    }

    /** The leading special token ({@code <s>} / {@code [CLS]}), weighted 0. */
    public long cls() {
        return empty[0];
    }

    /** The closing special token ({@code </s>} / {@code [SEP]}), weighted 0. */
    public long sep() {
        return empty[1];
    }

    public int maxLength() {
        return maxLength;
    }

    /** Python's str.strip(): also strips the Unicode space separators (NBSP...) that Java's strip() keeps. */
    static String pythonStrip(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isPythonSpace(s.charAt(start))) {
            start++;
        }
        while (end > start && isPythonSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(start, end);
    }

    private static boolean isPythonSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }

    private static int maxLength(Path tokenizerConfig, BertConfig config) {
        int fromModel = config.maxPositionEmbeddings()
                - (config.architecture() == BertConfig.Architecture.ROBERTA ? config.padTokenId() + 1 : 0);
        if (!Files.isRegularFile(tokenizerConfig)) {
            return fromModel;
        }
        try {
            JsonNode n = new ObjectMapper().readTree(tokenizerConfig.toFile()).path("model_max_length");
            // transformers writes int(1e30) when a tokenizer has no limit of its own
            return n.isNumber() && n.asDouble() < 1e9 ? n.asInt() : fromModel;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + tokenizerConfig + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}

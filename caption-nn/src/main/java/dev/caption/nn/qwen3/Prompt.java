package dev.caption.nn.qwen3;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * The text an adapter's prefix is spliced into: Qwen3's chat template with one {@value #SLOT} where the prefix
 * embeddings go. Training and inference use the same prompt, the one recorded in {@code adapter.json} and carried
 * in every prefix frame.
 *
 * @param template the prompt text with exactly one {@value #SLOT}
 */
public record Prompt(String template) {

    /** Where the prefix goes. */
    public static final String SLOT = "{prefix}";

    /** The image prompt: the non-thinking chat template around the prefix and the instruction. */
    public static final Prompt IMAGE = new Prompt(Qwen3Tokenizer.chat(SLOT + "\nDescribe the image in one sentence."));

    /** The audio prompt: the image prompt with "audio" where it says "image". */
    public static final Prompt AUDIO = new Prompt(Qwen3Tokenizer.chat(SLOT + "\nDescribe the audio in one sentence."));

    public Prompt {
        if (template == null) {
            throw new IllegalArgumentException("no prompt given");
        }
        int first = template.indexOf(SLOT);
        if (first < 0 || template.indexOf(SLOT, first + 1) >= 0) {
            throw new IllegalArgumentException("a prompt needs exactly one " + SLOT + " where the prefix goes, got '"
                    + shorten(template) + "'");
        }
        if (template.length() > 4096) {
            throw new IllegalArgumentException("a prompt of " + template.length() + " characters is over the 4096 limit");
        }
    }

    /** The text before the prefix. */
    public String before() {
        return template.substring(0, template.indexOf(SLOT));
    }

    /** The text after the prefix. */
    public String after() {
        return template.substring(template.indexOf(SLOT) + SLOT.length());
    }

    @JsonValue
    public String json() {
        return template;
    }

    /** Reads a template string, or the earlier {@code {"before": ..., "after": ...}} form of adapter.json. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static Prompt fromJson(JsonNode node) {
        if (node.isTextual()) {
            return new Prompt(node.asText());
        }
        if (node.isObject() && node.has("before") && node.has("after")) {
            return new Prompt(node.get("before").asText() + SLOT + node.get("after").asText());
        }
        throw new IllegalArgumentException("a prompt is a string with one " + SLOT + ", got " + node.getNodeType());
    }

    private static String shorten(String s) {
        String flat = s.replace("\n", "\\n");
        return flat.length() <= 80 ? flat : flat.substring(0, 77) + "...";
    }
}

package dev.caption.nn.qwen3;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The stopping ids from {@code generation_config.json} (falling back to config.json's eos_token_id). */
public record GenerationConfig(Set<Long> eosTokenIds, long padTokenId) {

    public static GenerationConfig read(Path dir) {
        ObjectMapper json = new ObjectMapper();
        try {
            Path gen = dir.resolve("generation_config.json");
            JsonNode n = Files.isRegularFile(gen) ? json.readTree(gen.toFile()) : json.readTree(dir.resolve("config.json").toFile());
            Set<Long> eos = new LinkedHashSet<>();
            JsonNode e = n.path("eos_token_id");
            if (e.isArray()) {
                e.forEach(x -> eos.add(x.asLong()));
            } else if (e.canConvertToLong()) {
                eos.add(e.asLong());
            }
            if (eos.isEmpty()) {
                eos.add(Qwen3Tokenizer.IM_END);
                eos.add(Qwen3Tokenizer.ENDOFTEXT);
            }
            long pad = n.path("pad_token_id").canConvertToLong() ? n.path("pad_token_id").asLong() : Qwen3Tokenizer.ENDOFTEXT;
            return new GenerationConfig(Set.copyOf(eos), pad);
        } catch (IOException ex) {
            throw new IllegalArgumentException("cannot read the generation config in " + dir + ": " + ex.getMessage(), ex);
        }
    }
}

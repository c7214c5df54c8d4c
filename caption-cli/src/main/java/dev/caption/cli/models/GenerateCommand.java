package dev.caption.cli.models;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import dev.caption.core.message.Json;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.qwen3.Decoding;
import dev.caption.nn.qwen3.Precision;
import dev.caption.nn.qwen3.Prompt;
import dev.caption.nn.qwen3.Qwen3Captioner;
import dev.caption.nn.qwen3.Qwen3Spec;
import dev.caption.nn.qwen3.Qwen3Tokenizer;
import dev.caption.nn.qwen3.Sampling;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsBlob;
import dev.caption.tensor.SafetensorsException;
import dev.caption.tensor.Tensor;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import dev.caption.cli.DownloadProgress;
import dev.caption.cli.CaptionCommand;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Generate text with Qwen3 from prompts, optionally after prefix embeddings (an adapter's output).",
            "All items are generated as one batch. Without a prompt, prefixes get the image-caption prompt."})
public final class GenerateCommand extends CaptionCommand {

    @Option(names = "--model", required = true, paramLabel = "HF-ID|DIR", description = "Qwen3 checkpoint (e.g. Qwen/Qwen3-0.6B).")
    String model;

    @Option(names = "--revision", paramLabel = "REV", description = "Branch, tag or commit (default: main).")
    String revision;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|cuda:N", description = "Where to run (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--precision", defaultValue = "auto", paramLabel = "auto|fp32|fp16",
            description = "Compute type (default: auto = fp32 on CPU, fp16 on GPU).")
    String precision;

    @Option(names = "--prefix", paramLabel = "PREFIX.safetensors",
            description = "One [n, hidden] tensor per item (name = item id), placed before that item's prompt.")
    Path prefix;

    @ArgGroup(exclusive = true)
    PromptSource prompt;

    static final class PromptSource {
        @Option(names = "--prompt", paramLabel = "TEXT", description = "Raw prompt text, for every item.")
        String raw;

        @Option(names = "--prompts", paramLabel = "PROMPTS.json", description = "JSON object: item id -> raw prompt text.")
        Path perItem;

        @Option(names = "--chat", paramLabel = "TEXT", description = "User text wrapped in the non-thinking chat template.")
        String chat;
    }

    @Option(names = "--max-new-tokens", defaultValue = "32", paramLabel = "N", description = "Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

    @ArgGroup(exclusive = true)
    Strategy strategy = new Strategy();

    static final class Strategy {
        @Option(names = "--greedy", description = "Greedy decoding (the default).")
        boolean greedy;

        @Option(names = "--beams", paramLabel = "K", description = "Beam search with K beams.")
        Integer beams;

        @Option(names = "--sample", description = "Sampling (see --temperature, --top-k, --top-p, --seed).")
        boolean sample;
    }

    @Option(names = "--num-return", defaultValue = "1", paramLabel = "N", description = "Beam search: results per item.")
    int numReturn;

    @Option(names = "--length-penalty", defaultValue = "1.0", description = "Beam search length penalty.")
    double lengthPenalty;

    @Option(names = "--temperature", defaultValue = "0.6") double temperature;
    @Option(names = "--top-k", defaultValue = "20") int topK;
    @Option(names = "--top-p", defaultValue = "0.95") double topP;
    @Option(names = "--seed", defaultValue = "0") long seed;

    @Option(names = "--json", description = "One JSON object per output: id, token_ids (new tokens), text (+ score for beams).")
    boolean json;

    @Override
    public Integer call() throws IOException {
        Map<String, Qwen3Captioner.Item> items = items();
        Decoding decoding = strategy.beams != null
                ? new Decoding.Beam(maxNewTokens, strategy.beams, Math.min(numReturn, strategy.beams), lengthPenalty)
                : strategy.sample ? new Decoding.Sample(maxNewTokens, new Sampling(temperature, topK, topP, seed))
                : new Decoding.Greedy(maxNewTokens);
        try (Qwen3Captioner lm = Qwen3Spec.builder(model).revision(revision).device(device).precision(Precision.parse(precision))
                .build().open(HubEnvironment.fromSystem(), new DownloadProgress(err()))) {
            List<Qwen3Captioner.Item> list = new ArrayList<>(items.values());
            checkPrefixWidth(list, lm.hiddenSize());
            List<List<Qwen3Captioner.Result>> results = lm.generate(list, decoding).results();
            List<String> ids = new ArrayList<>(items.keySet());
            for (int i = 0; i < ids.size(); i++) {
                for (Qwen3Captioner.Result r : results.get(i)) {
                    if (json) {
                        Map<String, Object> o = new LinkedHashMap<>();
                        o.put("id", ids.get(i));
                        o.put("token_ids", r.tokenIds());
                        o.put("text", r.text());
                        if (!Double.isNaN(r.score())) {
                            o.put("score", r.score());
                        }
                        out().println(Json.writeString(o));
                    } else {
                        out().println(ids.get(i) + ": " + r.text()
                                + (Double.isNaN(r.score()) ? "" : String.format(Locale.ROOT, "  (score %.5f)", r.score())));
                    }
                }
            }
        }
        return 0;
    }

    private Map<String, Qwen3Captioner.Item> items() throws IOException {
        Map<String, String> prompts = new LinkedHashMap<>();
        if (prompt != null && prompt.perItem != null) {
            JsonNode node;
            try {
                node = Json.MAPPER.readTree(Files.readAllBytes(prompt.perItem));
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("prompts file not found: " + prompt.perItem);
            } catch (IOException e) {
                throw new IllegalArgumentException(prompt.perItem + " is not valid JSON: " + e.getMessage());
            }
            if (!node.isObject()) {
                throw new IllegalArgumentException(prompt.perItem + " must be a JSON object of id -> prompt text");
            }
            node.fields().forEachRemaining(e -> prompts.put(e.getKey(), e.getValue().asText()));
        }
        String shared = prompt == null ? null : prompt.raw != null ? prompt.raw
                : prompt.chat != null ? Qwen3Tokenizer.chat(prompt.chat) : null;
        Map<String, Qwen3Captioner.Item> items = new LinkedHashMap<>();
        if (prefix != null) {
            SafetensorsBlob blob;
            try {
                blob = Safetensors.decode(Files.readAllBytes(prefix), 64 << 20);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("prefix file not found: " + prefix);
            } catch (SafetensorsException e) {
                throw new IllegalArgumentException(prefix + ": " + e.getMessage());
            }
            for (Map.Entry<String, Tensor> e : blob.tensors().entrySet()) {
                Tensor t = e.getValue();
                if (t.rank() != 2 || !t.dtype().isFloatingPoint()) {
                    throw new IllegalArgumentException("prefix '" + e.getKey() + "' must be a float [n, hidden] tensor, got " + t);
                }
                String text = prompts.isEmpty() ? shared : prompts.get(e.getKey());
                if (!prompts.isEmpty() && text == null) {
                    throw new IllegalArgumentException("--prompts has no prompt for prefix '" + e.getKey() + "'");
                }
                items.put(e.getKey(), text == null
                        ? Qwen3Captioner.Item.of(Prompt.IMAGE, t.toFloats(), (int) t.dim(0))
                        : new Qwen3Captioner.Item("", t.toFloats(), (int) t.dim(0), text));
            }
        } else if (!prompts.isEmpty()) {
            prompts.forEach((id, text) -> items.put(id, Qwen3Captioner.Item.text(text)));
        } else if (shared != null) {
            items.put("0", Qwen3Captioner.Item.text(shared));
        } else {
            throw new IllegalArgumentException("nothing to generate from: give --prefix and/or --prompt, --prompts or --chat");
        }
        return items;
    }

    private static void checkPrefixWidth(List<Qwen3Captioner.Item> items, int hidden) {
        for (Qwen3Captioner.Item item : items) {
            if (item.prefix() != null && item.prefix().length != item.prefixTokens() * hidden) {
                throw new IllegalArgumentException("a prefix has width " + item.prefix().length / item.prefixTokens()
                        + " but the model's hidden size is " + hidden);
            }
        }
    }
}

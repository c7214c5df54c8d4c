package dev.caption.llm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

import dev.caption.core.loop.BatchProcessor;
import dev.caption.core.loop.RecordOutcome;
import dev.caption.core.message.Caption;
import dev.caption.core.message.CaptionHeaders;
import dev.caption.core.message.PrefixFrame;
import dev.caption.nn.hub.ModelRef;
import dev.caption.nn.qwen3.Decoding;
import dev.caption.nn.qwen3.Prompt;
import dev.caption.nn.qwen3.Qwen3Captioner;

/**
 * Prefix frames to captions: each frame is checked on its own (malformed, another LLM's, wrong width: DLQ), then
 * all good ones are generated as one batch, each with its adapter's prompt (dynamic batching: the batch is what the loop
 * collected within max-batch / max-wait).
 */
public final class LlmProcessor implements BatchProcessor {

    /** Per batch: prompts, prefill (time to first token), whole generation, new tokens. */
    @FunctionalInterface
    public interface Stats {
        void record(int prompts, long prefillNanos, long totalNanos, long tokens);

        Stats NONE = (prompts, prefill, total, tokens) -> { };
    }

    private final Qwen3Captioner lm;
    private final Decoding decoding;
    private final String captionsTopic;
    private final boolean checkModel;
    private final Stats stats;

    public LlmProcessor(Qwen3Captioner lm, Decoding decoding, String captionsTopic, boolean checkModel, Stats stats) {
        this.lm = lm;
        this.decoding = decoding;
        this.captionsTopic = captionsTopic;
        this.checkModel = checkModel;
        this.stats = stats;
    }

    /** A frame that passed the checks, its prompt, and the submit and stage times its headers carried. */
    private record Checked(PrefixFrame frame, Prompt prompt, Map<String, Long> timings) {
    }

    @Override
    public List<RecordOutcome> process(List<ConsumerRecord<String, byte[]>> batch) throws Exception {
        return BatchProcessor.<Checked>checkThenBatch(this::check, checked -> {
            long start = System.nanoTime();
            List<Qwen3Captioner.Item> items = checked.stream().map(c -> Qwen3Captioner.Item.of(c.prompt(),
                    c.frame().prefix().toFloats(), (int) c.frame().prefix().dim(0))).toList();
            Qwen3Captioner.Generation generation = lm.generate(items, decoding);
            List<Qwen3Captioner.Result> results = generation.first();
            long generatedAt = System.currentTimeMillis();
            long tokens = 0;
            List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
            for (int j = 0; j < results.size(); j++) {
                Qwen3Captioner.Result best = results.get(j);
                tokens += best.tokenIds().length;
                Map<String, Long> timings = new LinkedHashMap<>(checked.get(j).timings());
                timings.put("llm", generatedAt);
                PrefixFrame frame = checked.get(j).frame();
                out.add(Caption.CODEC.toRecord(captionsTopic, Caption.builder(frame.id(), best.text())
                        .tokenCount(best.tokenIds().length).model(lm.modelId()).revision(lm.revision())
                        .adapter(frame.adapter()).timings(timings).build()));
            }
            stats.record(items.size(), generation.prefillNanos(), System.nanoTime() - start, tokens);
            return out;
        }).process(batch);
    }

    private Checked check(ConsumerRecord<String, byte[]> record) {
        PrefixFrame frame = PrefixFrame.CODEC.fromRecord(record);
        if (checkModel && !ModelRef.sameModel(frame.llmModel(), lm.modelId())) {
            throw new IllegalArgumentException("prefix was made for LLM " + frame.llmModel()
                    + " but this service runs " + lm.modelId());
        }
        if (frame.prefix().dim(1) != lm.hiddenSize()) {
            throw new IllegalArgumentException("prefix width " + frame.prefix().dim(1) + " does not match "
                    + lm.modelId() + "'s hidden size " + lm.hiddenSize());
        }
        // frames of earlier versions carry no prompt: they were made for the image prompt
        Prompt prompt = frame.prompt().map(Prompt::new).orElse(Prompt.IMAGE);
        // submit time and every earlier stage's emit time; "llm" is added when the caption is generated
        Map<String, Long> t = new LinkedHashMap<>();
        CaptionHeaders.getLong(record.headers(), CaptionHeaders.SUBMIT_TIME).ifPresent(v -> t.put("submit", v));
        t.putAll(CaptionHeaders.stageTimes(record.headers()));
        return new Checked(frame, prompt, t);
    }
}

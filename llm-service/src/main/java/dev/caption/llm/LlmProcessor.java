package dev.caption.llm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import dev.caption.core.loop.BatchProcessor;
import dev.caption.core.loop.RecordOutcome;
import dev.caption.core.message.Caption;
import dev.caption.core.message.CaptionHeaders;
import dev.caption.core.message.PrefixFrame;
import dev.caption.nn.qwen3.Decoding;
import dev.caption.nn.qwen3.Qwen3Captioner;

/**
 * Prefix frames to captions: each frame is checked on its own (malformed, another LLM's, wrong width: DLQ), then
 * all good ones are generated as one batch with the image prompt (dynamic batching: the batch is what the loop
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

    @Override
    public List<RecordOutcome> process(List<ConsumerRecord<String, byte[]>> batch) {
        RecordOutcome[] outcomes = new RecordOutcome[batch.size()];
        List<Integer> positions = new ArrayList<>();
        List<PrefixFrame> frames = new ArrayList<>();
        List<Qwen3Captioner.Item> items = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            try {
                PrefixFrame frame = PrefixFrame.CODEC.fromRecord(batch.get(i));
                if (checkModel && !frame.llmModel().equals(lm.modelId())) {
                    throw new IllegalArgumentException("prefix was made for LLM " + frame.llmModel()
                            + " but this service runs " + lm.modelId());
                }
                if (frame.prefix().dim(1) != lm.hiddenSize()) {
                    throw new IllegalArgumentException("prefix width " + frame.prefix().dim(1) + " does not match "
                            + lm.modelId() + "'s hidden size " + lm.hiddenSize());
                }
                items.add(Qwen3Captioner.Item.image(frame.prefix().toFloats(), (int) frame.prefix().dim(0)));
                frames.add(frame);
                positions.add(i);
            } catch (RuntimeException e) {
                outcomes[i] = RecordOutcome.fail(e);
            }
        }
        if (!items.isEmpty()) {
            long start = System.nanoTime();
            List<List<Qwen3Captioner.Result>> results = lm.generate(items, decoding);
            long tokens = 0;
            for (int j = 0; j < results.size(); j++) {
                Qwen3Captioner.Result best = results.get(j).get(0);
                tokens += best.tokenIds().length;
                ConsumerRecord<String, byte[]> in = batch.get(positions.get(j));
                Caption caption = new Caption(frames.get(j).id(), best.text(), best.tokenIds().length, lm.modelId(),
                        lm.revision(), frames.get(j).adapter(), null, timings(in));
                outcomes[positions.get(j)] = RecordOutcome.emit(Caption.CODEC.toRecord(captionsTopic, caption));
            }
            stats.record(items.size(), lm.lastPrefillNanos(), System.nanoTime() - start, tokens);
        }
        return Arrays.asList(outcomes);
    }

    /** Submit time and every earlier stage's emit time, from the headers; "llm" is the time of generation. */
    private static Map<String, Long> timings(ConsumerRecord<String, byte[]> in) {
        Map<String, Long> t = new LinkedHashMap<>();
        CaptionHeaders.getLong(in.headers(), CaptionHeaders.SUBMIT_TIME).ifPresent(v -> t.put("submit", v));
        t.putAll(CaptionHeaders.stageTimes(in.headers()));
        t.put("llm", System.currentTimeMillis());
        return t;
    }
}

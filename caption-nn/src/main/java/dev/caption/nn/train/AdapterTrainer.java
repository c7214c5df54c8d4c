package dev.caption.nn.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.qwen3.Qwen3ForCausalLM;
import dev.caption.nn.qwen3.Qwen3Tokenizer;
import dev.caption.nn.qwen3.TeacherForcing;
import dev.caption.tensor.DType;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsBlob;
import dev.caption.tensor.Tensor;

/**
 * Trains an adapter with cross-entropy and teacher forcing through the frozen Qwen3, on precomputed CLIP features.
 * Each row is the adapter's prompt with the prefix in its slot, then the caption and {@code <|im_end|>}, right-padded:
 * {@code [before | prefix | after | caption <|im_end|> | pad...]}; only the caption tokens and the closing
 * {@code <|im_end|>} carry labels. Only the adapter's parameters get gradients and updates.
 *
 * <p>Deterministic from the seed: the epoch order and the caption drawn for an image depend only on (seed, epoch,
 * position), and the schedule only on the step, so a run resumed from {@code last/} continues exactly as an
 * uninterrupted one. Writes {@code best/} (the adapter with the lowest validation loss so far) and {@code last/}
 * (adapter, optimizer moments, history) after every epoch.
 */
public final class AdapterTrainer {

    /** Steps with a non-finite loss or gradient that may follow one another before the run counts as diverged. */
    static final int MAX_SKIPPED_IN_A_ROW = 3;

    public static final String BEST = "best";
    public static final String LAST = "last";
    private static final String OPTIMIZER = "optimizer.safetensors";
    private static final String STATE = "state.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Qwen3ForCausalLM llm;
    private final Qwen3Tokenizer tokenizer;
    private final NDManager manager;
    private final long padId;

    public AdapterTrainer(Qwen3ForCausalLM llm, Qwen3Tokenizer tokenizer, NDManager manager) {
        this.llm = llm;
        this.manager = manager;
        this.padId = Qwen3Tokenizer.ENDOFTEXT;
        this.tokenizer = tokenizer;
    }

    /** One training row: an image and one of its captions, tokenized with the closing <|im_end|>. */
    record Row(String id, long[] caption) {
    }

    /**
     * Trains {@code adapter} in place (resuming from {@code out/last} when {@code resume} and it exists) and returns
     * the history. The adapter's spec gets a training summary when saved.
     */
    public TrainingHistory train(Adapter adapter, FeatureSource features, List<TrainingExample> train,
                                 List<TrainingExample> validation, TrainSettings s, Path out, boolean resume,
                                 TrainingListener listener) {
        if (train.isEmpty() || validation.isEmpty()) {
            throw new IllegalArgumentException("training needs images in both splits: " + train.size() + " train, "
                    + validation.size() + " validation");
        }
        adapter.spec().checkFeatures(adapter.spec().vision().model(), adapter.spec().vision().layer(),
                adapter.spec().vision().keepCls(), features.tokens(), features.dim());
        Map<String, NDArray> params = adapter.parameters();
        AdamW optimizer = new AdamW(params, manager);
        TrainingHistory history = TrainingHistory.empty();
        int startEpoch = 1;
        if (resume && Files.isRegularFile(out.resolve(LAST).resolve(STATE))) {
            startEpoch = restore(out.resolve(LAST), params, optimizer, history) + 1;
        }
        params.values().forEach(p -> p.setRequiresGradient(true));
        Map<String, long[][]> tokenized = tokenize(train);
        int rowsPerEpoch = s.allCaptions() ? tokenized.values().stream().mapToInt(c -> c.length).sum() : train.size();
        int stepsPerEpoch = (rowsPerEpoch + s.batchSize() - 1) / s.batchSize();
        int totalSteps = s.maxSteps() > 0 ? Math.min(s.maxSteps(), stepsPerEpoch * s.epochs()) : stepsPerEpoch * s.epochs();
        double best = history.bestValidationLoss();
        int skippedInARow = 0;
        for (int epoch = startEpoch; epoch <= s.epochs() && optimizer.step < totalSteps; epoch++) {
            List<Row> rows = epochRows(train, tokenized, s, epoch);
            double lossSum = 0;
            int steps = 0;
            for (int from = 0; from < rows.size() && optimizer.step < totalSteps; from += s.batchSize()) {
                List<Row> batch = rows.subList(from, Math.min(rows.size(), from + s.batchSize()));
                long t0 = System.nanoTime();
                double lr = learningRate(s, optimizer.step, totalSteps);
                int[] tokens = new int[1];
                double loss;
                String notFinite = null;
                try (NDManager step = manager.newSubManager()) {
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray l = loss(adapter, features, batch, step, tokens);
                        loss = l.getFloat();
                        if (Double.isFinite(loss)) {
                            gc.backward(l);
                        } else {
                            notFinite = "loss " + loss;
                        }
                    }
                }
                if (notFinite == null) {
                    AdamW.Update update = optimizer.update(params, lr, s.weightDecay(), s.clipNorm(), manager);
                    if (!update.applied()) {
                        notFinite = "gradient norm " + update.norm() + " (of " + String.join(", ", update.nonFinite()) + ")";
                    }
                }
                if (notFinite != null) {
                    // as mixed-precision trainers do: skip the step (nothing was applied) and go on, unless it keeps
                    // happening, which means the weights or the learning rate are at fault, not one batch
                    history.skipped().add("step " + (optimizer.step + 1) + ": " + notFinite);
                    listener.onSkippedStep(optimizer.step + 1, notFinite);
                    if (++skippedInARow > MAX_SKIPPED_IN_A_ROW) {
                        throw new TrainingDivergedException(notFinite, optimizer.step + 1, lr, history);
                    }
                    continue;
                }
                skippedInARow = 0;
                history.stepLoss().add(loss);
                lossSum += loss;
                steps++;
                listener.onStep(optimizer.step, totalSteps, loss, lr, tokens[0] / ((System.nanoTime() - t0) / 1e9));
            }
            double val = validationLoss(adapter, features, validation, s);
            history.epochs().add(new TrainingHistory.Epoch(epoch, optimizer.step, lossSum / Math.max(1, steps), val));
            boolean isBest = !(val >= best);          // NaN best (first epoch) counts as improved
            if (isBest) {
                best = val;
                adapter.save(out.resolve(BEST), adapter.spec().withTraining(summary(s, history, train, validation, adapter)));
            }
            checkpoint(out.resolve(LAST), adapter, optimizer, history, epoch, s, train, validation);
            listener.onEpoch(epoch, lossSum / Math.max(1, steps), val, isBest);
        }
        return history;
    }

    /** Mean teacher-forcing loss over the validation images, each with its first caption, token-weighted. */
    public double validationLoss(Adapter adapter, FeatureSource features, List<TrainingExample> validation, TrainSettings s) {
        double sum = 0;
        long count = 0;
        for (int from = 0; from < validation.size(); from += s.batchSize()) {
            List<Row> batch = new ArrayList<>();
            for (TrainingExample e : validation.subList(from, Math.min(validation.size(), from + s.batchSize()))) {
                batch.add(new Row(e.id(), captionIds(e.captions().get(0), s.maxCaptionTokens())));
            }
            try (NDManager step = manager.newSubManager()) {
                int[] tokens = new int[1];
                NDArray l = loss(adapter, features, batch, step, tokens);
                int targets = batch.stream().mapToInt(r -> r.caption().length).sum();
                sum += l.getFloat() * targets;
                count += targets;
            }
        }
        return sum / count;
    }

    /**
     * The batch's loss: prefix from the adapter, the adapter's prompt around it and the caption, embedded by the
     * frozen model.
     */
    private NDArray loss(Adapter adapter, FeatureSource features, List<Row> batch, NDManager step, int[] tokens) {
        long[] before = tokenizer.encode(adapter.spec().prompt().before());
        long[] after = tokenizer.encode(adapter.spec().prompt().after());
        NDArray[] prefixes = adapter.forwardEach(step,
                batch.stream().map(r -> features.features(r.id())).toList());                 // [n_i, H] each
        int length = 0;
        for (int i = 0; i < batch.size(); i++) {
            length = Math.max(length, before.length + (int) prefixes[i].getShape().get(0) + after.length
                    + batch.get(i).caption().length);
        }
        NDArray beforeEmb = llm.embed(step, before);                                           // [nb, H]
        NDArray afterEmb = llm.embed(step, after);                                             // [na, H]
        NDList rows = new NDList();
        int[][] mask = new int[batch.size()][length];
        long[][] labels = new long[batch.size()][length];
        for (int i = 0; i < batch.size(); i++) {
            long[] cap = batch.get(i).caption();
            int n = (int) prefixes[i].getShape().get(0);
            int real = before.length + n + after.length + cap.length;
            long[] tail = new long[length - before.length - n - after.length];
            System.arraycopy(cap, 0, tail, 0, cap.length);
            java.util.Arrays.fill(tail, cap.length, tail.length, padId);
            // [before | prefix_i | after | caption <|im_end|> | pad]                          [T, H]
            rows.add(NDArrays.concat(new NDList(beforeEmb, prefixes[i], afterEmb, llm.embed(step, tail)), 0));
            java.util.Arrays.fill(mask[i], 0, real, 1);
            java.util.Arrays.fill(labels[i], TeacherForcing.IGNORE);
            System.arraycopy(cap, 0, labels[i], before.length + n + after.length, cap.length);
            tokens[0] += real;
        }
        return TeacherForcing.loss(llm, NDArrays.stack(rows, 0), mask, labels);
    }

    private Map<String, long[][]> tokenize(List<TrainingExample> examples) {
        Map<String, long[][]> out = new LinkedHashMap<>();
        for (TrainingExample e : examples) {
            long[][] caps = new long[e.captions().size()][];
            for (int i = 0; i < caps.length; i++) {
                caps[i] = captionIds(e.captions().get(i), Integer.MAX_VALUE);
            }
            out.put(e.id(), caps);
        }
        return out;
    }

    private long[] captionIds(String caption, int maxTokens) {
        long[] ids = tokenizer.encode(caption.strip());
        int n = Math.min(ids.length, maxTokens);
        long[] out = java.util.Arrays.copyOf(ids, n + 1);
        out[n] = Qwen3Tokenizer.IM_END;
        return out;
    }

    /** The epoch's rows in a seeded order: one drawn caption per image, or every caption. */
    private static List<Row> epochRows(List<TrainingExample> train, Map<String, long[][]> tokenized, TrainSettings s,
                                       int epoch) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
            String id = train.get(i).id();
            long[][] caps = tokenized.get(id);
            if (s.allCaptions()) {
                for (long[] c : caps) {
                    rows.add(new Row(id, cut(c, s.maxCaptionTokens())));
                }
            } else {
                int pick = new Random(s.seed() * 1_000_003L + epoch * 7_919L + i).nextInt(caps.length);
                rows.add(new Row(id, cut(caps[pick], s.maxCaptionTokens())));
            }
        }
        Collections.shuffle(rows, new Random(s.seed() * 31L + epoch));
        return rows;
    }

    private static long[] cut(long[] withEnd, int maxTokens) {
        if (withEnd.length - 1 <= maxTokens) {
            return withEnd;
        }
        long[] out = java.util.Arrays.copyOf(withEnd, maxTokens + 1);
        out[maxTokens] = Qwen3Tokenizer.IM_END;
        return out;
    }

    /** Linear warm-up to the peak, then cosine to 0 at the last step. */
    static double learningRate(TrainSettings s, int step, int totalSteps) {
        if (step < s.warmupSteps()) {
            return s.learningRate() * (step + 1) / s.warmupSteps();
        }
        double progress = (double) (step - s.warmupSteps()) / Math.max(1, totalSteps - s.warmupSteps());
        return s.learningRate() * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
    }

    private static Map<String, Object> summary(TrainSettings s, TrainingHistory h, List<TrainingExample> train,
                                               List<TrainingExample> validation, Adapter adapter) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("steps", h.stepLoss().size());
        m.put("epochs", h.epochs().size());
        m.put("best_validation_loss", h.bestValidationLoss());
        m.put("final_train_loss", h.epochs().isEmpty() ? Double.NaN : h.epochs().get(h.epochs().size() - 1).trainLoss());
        m.put("train_images", train.size());
        m.put("validation_images", validation.size());
        m.put("trainable_parameters", adapter.parameterCount());
        m.put("settings", s);
        return m;
    }

    private void checkpoint(Path dir, Adapter adapter, AdamW optimizer, TrainingHistory history, int epoch,
                            TrainSettings s, List<TrainingExample> train, List<TrainingExample> validation) {
        adapter.save(dir, adapter.spec().withTraining(summary(s, history, train, validation, adapter)));
        Map<String, Tensor> moments = new LinkedHashMap<>();
        optimizer.m.forEach((k, a) -> moments.put("m." + k, Tensor.ofFloats(DType.F32, a.getShape().getShape(), a.toFloatArray())));
        optimizer.v.forEach((k, a) -> moments.put("v." + k, Tensor.ofFloats(DType.F32, a.getShape().getShape(), a.toFloatArray())));
        try {
            Files.write(dir.resolve(OPTIMIZER), Safetensors.encode(moments));
            Map<String, Object> state = new LinkedHashMap<>();
            state.put("epoch", epoch);
            state.put("step", optimizer.step);
            state.put("history", history);
            JSON.writeValue(dir.resolve(STATE).toFile(), state);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the training state to " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Loads parameters, moments and history from {@code last/}; returns the last completed epoch. */
    private static int restore(Path dir, Map<String, NDArray> params, AdamW optimizer, TrainingHistory history) {
        try {
            SafetensorsBlob weights = Safetensors.decode(Files.readAllBytes(dir.resolve(dev.caption.nn.adapter.AdapterSpec.WEIGHTS)),
                    1 << 24);
            SafetensorsBlob moments = Safetensors.decode(Files.readAllBytes(dir.resolve(OPTIMIZER)), 1 << 24);
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                set(e.getValue(), weights.tensor(e.getKey()));
                set(optimizer.m.get(e.getKey()), moments.tensor("m." + e.getKey()));
                set(optimizer.v.get(e.getKey()), moments.tensor("v." + e.getKey()));
            }
            var state = JSON.readTree(dir.resolve(STATE).toFile());
            optimizer.step = state.get("step").asInt();
            TrainingHistory saved = JSON.treeToValue(state.get("history"), TrainingHistory.class);
            history.stepLoss().addAll(saved.stepLoss());
            history.epochs().addAll(saved.epochs());
            return state.get("epoch").asInt();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot resume from " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void set(NDArray target, Tensor value) {
        if (value == null || !java.util.Arrays.equals(value.shape(), target.getShape().getShape())) {
            throw new IllegalArgumentException("saved state does not fit the adapter (" + (value == null ? "missing"
                    : java.util.Arrays.toString(value.shape())) + " vs " + target.getShape() + ")");
        }
        target.set(value.toFloats());
    }
}

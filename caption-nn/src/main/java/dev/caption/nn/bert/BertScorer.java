package dev.caption.nn.bert;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.Device;
import dev.caption.nn.hub.CheckpointResolver;
import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;

/**
 * BERTScore as bert_score 0.3.13 computes it: token embeddings from layer L of a BERT-family encoder, L2-normalised;
 * greedy cosine matching (precision: each candidate token's best reference token; recall: the reverse), weighted by
 * idf or uniformly, with the special tokens at weight 0; F = 2PR/(P+R); the max of P, R and F separately over a
 * candidate's references; then optional baseline rescaling.
 *
 * <p>One deliberate difference: bert_score lets padded positions of its batch take part in the max with similarity
 * 0, so a token whose best real similarity is negative scores 0 there, depending on how its batch happened to be
 * padded. Here only real tokens are matched, which is what bert_score computes whenever no padding intervenes.
 *
 * <p>Not thread-safe; {@link #score} is synchronized so that a multi-threaded caller shares one model.
 */
public final class BertScorer implements AutoCloseable {

    /** bert_score's model2layers for the encoders read here (hub ids with and without their organisation). */
    private static final Map<String, Integer> DEFAULT_LAYERS = Map.of(
            "roberta-large", 17, "roberta-base", 10, "distilroberta-base", 5,
            "bert-base-uncased", 9, "bert-large-uncased", 18, "bert-base-cased", 9, "bert-large-cased", 18,
            "bert-base-multilingual-cased", 9, "distilbert-base-uncased", 5, "distilbert-base-multilingual-cased", 5);

    private final NDManager manager;
    private final BertModel model;
    private final BertScoreTokenizer tokenizer;
    private final String modelId;
    private final int batchSize;
    private final Optional<Baseline> baseline;

    private BertScorer(NDManager manager, BertModel model, BertScoreTokenizer tokenizer, String modelId, int batchSize,
                       Optional<Baseline> baseline) {
        this.manager = manager;
        this.model = model;
        this.tokenizer = tokenizer;
        this.modelId = modelId;
        this.batchSize = batchSize;
        this.baseline = baseline;
    }

    /** Resolves the checkpoint, layer and baseline {@code spec} names and loads the encoder; see {@link BertScoreSpec#open}. */
    static BertScorer load(BertScoreSpec spec, HubEnvironment env, DownloadListener progress) {
        CheckpointResolver.Resolved resolved = new CheckpointResolver(env, progress)
                .resolve(spec.model(), List.of("tokenizer.json", "tokenizer_config.json"));
        Path dir = resolved.dir();
        BertConfig config = BertConfig.read(dir.resolve(CheckpointResolver.CONFIG));
        String id = spec.model().displayId();
        // bert_score's tables know hub names; a local directory is looked up by its name (…/roberta-large)
        String known = spec.model().isLocal() ? spec.model().localDir().toAbsolutePath().normalize().getFileName().toString() : id;
        int l = spec.layer().orElseGet(() -> defaultLayer(known));
        if (l < 0 || l > config.numHiddenLayers()) {
            throw new IllegalArgumentException("layer " + l + " does not exist: " + id + " has hidden states 0.."
                    + config.numHiddenLayers());
        }
        Optional<Baseline> baseline = baseline(spec.rescaling(), known, l);
        NDManager manager = NDManager.newBaseManager(spec.device());
        try {
            BertModel encoder = BertModel.load(config, dir, resolved.weightFiles(), l, manager);
            return new BertScorer(manager, encoder, BertScoreTokenizer.load(dir, config), id, spec.batchSize(), baseline);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static Optional<Baseline> baseline(BertScoreSpec.Rescaling rescaling, String modelId, int layer) {
        if (rescaling instanceof BertScoreSpec.Rescaling.File f) {
            return Optional.of(Baseline.read(f.path(), layer));
        }
        if (rescaling instanceof BertScoreSpec.Rescaling.BuiltIn) {
            return Optional.of(Baseline.builtIn(modelId, layer));
        }
        return Optional.empty();
    }

    /**
     * A scorer with random weights of {@code config}'s size and the tokenizer of {@code tokenizerDir}, for
     * benchmarks: speed does not depend on the weights' values.
     */
    public static BertScorer random(BertConfig config, int layer, Path tokenizerDir, int batchSize, Device device) {
        NDManager manager = NDManager.newBaseManager(device);
        try {
            return new BertScorer(manager, BertModel.random(config, layer, manager, 7),
                    BertScoreTokenizer.load(tokenizerDir, config), "random-" + config.architecture(), batchSize,
                    Optional.empty());
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** bert_score's default layer for a hub id ({@code roberta-large} → 17), or an error asking for one. */
    public static int defaultLayer(String modelId) {
        String name = modelId.contains("/") && !modelId.startsWith("/") && !modelId.startsWith(".")
                ? modelId.substring(modelId.indexOf('/') + 1) : modelId;
        Integer l = DEFAULT_LAYERS.get(name);
        if (l == null) {
            throw new BertScoreSpec.MissingLayerException(modelId, new java.util.TreeSet<>(DEFAULT_LAYERS.keySet()).toString());
        }
        return l;
    }

    public String modelId() {
        return modelId;
    }

    public int layer() {
        return model.numLayers();
    }

    /** What scored, in bert_score's hash-string style: {@code <model>_L<layer>_idf|_no-idf[-rescaled]}. */
    public String id(boolean idf) {
        return modelId + "_L" + layer() + (idf ? "_idf" : "_no-idf") + (baseline.isPresent() ? "-rescaled" : "");
    }

    /** Whether scores are rescaled with a baseline. */
    public boolean rescaled() {
        return baseline.isPresent();
    }

    public BertScoreTokenizer tokenizer() {
        return tokenizer;
    }

    /** Weight 1 for every token but the special ones (bert_score with idf=False). */
    public TokenWeights uniform() {
        return TokenWeights.uniform(tokenizer.cls(), tokenizer.sep());
    }

    /**
     * bert_score's idf over {@code references} flattened (duplicates kept): {@code ln((N+1)/(df+1))}, ids seen in no
     * reference {@code ln(N+1)}, special tokens 0.
     */
    public TokenWeights idf(List<List<String>> references) {
        List<long[]> docs = new ArrayList<>();
        for (List<String> refs : references) {
            for (String r : refs) {
                docs.add(tokenizer.encode(r));
            }
        }
        return TokenWeights.idf(docs, tokenizer.cls(), tokenizer.sep());
    }

    /**
     * Scores each candidate against its references (at least one each), max over references, then rescaled when the
     * spec asked for a baseline.
     */
    public synchronized List<Prf> score(List<String> candidates, List<List<String>> references, TokenWeights weights) {
        if (candidates.size() != references.size()) {
            throw new IllegalArgumentException(candidates.size() + " candidates but " + references.size()
                    + " reference lists");
        }
        Set<String> sentences = new HashSet<>(candidates);
        for (int i = 0; i < references.size(); i++) {
            if (references.get(i).isEmpty()) {
                throw new IllegalArgumentException("candidate " + i + " has no references");
            }
            sentences.addAll(references.get(i));
        }
        Map<String, Embedded> embedded = embed(sentences);
        List<Prf> out = new ArrayList<>(candidates.size());
        for (int i = 0; i < candidates.size(); i++) {
            Embedded cand = embedded.get(candidates.get(i));
            double p = Double.NEGATIVE_INFINITY;
            double r = Double.NEGATIVE_INFINITY;
            double f = Double.NEGATIVE_INFINITY;
            for (String ref : references.get(i)) {
                Prf one = greedyMatch(cand, embedded.get(ref), weights);
                p = Math.max(p, one.p());
                r = Math.max(r, one.r());
                f = Math.max(f, one.f());
            }
            Prf best = new Prf(p, r, f);
            out.add(baseline.map(b -> b.rescale(best)).orElse(best));
        }
        return out;
    }

    /** One sentence's ids and L2-normalised token embeddings, row-major [tokens, D]. */
    record Embedded(long[] ids, float[] vectors, int dim) {
        int tokens() {
            return ids.length;
        }
    }

    /** bert_score's greedy_cos_idf for one pair; an empty side (only the two special tokens) scores 0. */
    static Prf greedyMatch(Embedded cand, Embedded ref, TokenWeights weights) {
        if (cand.tokens() <= 2 || ref.tokens() <= 2) {
            return new Prf(0, 0, 0);
        }
        int d = cand.dim();
        float[] bestForCand = new float[cand.tokens()];
        float[] bestForRef = new float[ref.tokens()];
        java.util.Arrays.fill(bestForCand, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(bestForRef, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < cand.tokens(); i++) {
            for (int j = 0; j < ref.tokens(); j++) {
                float sim = 0;
                for (int k = 0; k < d; k++) {
                    sim += cand.vectors()[i * d + k] * ref.vectors()[j * d + k];
                }
                bestForCand[i] = Math.max(bestForCand[i], sim);
                bestForRef[j] = Math.max(bestForRef[j], sim);
            }
        }
        double p = weightedMean(bestForCand, cand.ids(), weights);
        double r = weightedMean(bestForRef, ref.ids(), weights);
        double f = 2 * p * r / (p + r);
        return new Prf(p, r, Double.isNaN(f) ? 0 : f);
    }

    private static double weightedMean(float[] best, long[] ids, TokenWeights weights) {
        double sum = 0;
        double total = 0;
        for (int i = 0; i < ids.length; i++) {
            double w = weights.weight(ids[i]);
            sum += w * best[i];
            total += w;
        }
        return sum / total;
    }

    /**
     * Embeds distinct sentences in length-sorted batches (as bert_score does), so padding stays small. Unlike
     * bert_score, a batch also ends where the next sentence is shorter than {@link #MIN_FILL} of the batch's longest:
     * captions and references often differ in length (a model's 30-token captions against 10-token references), and
     * one long sentence would otherwise pad a whole batch of short ones to its length. A real token's embedding does
     * not depend on its batch's padding (padded keys are masked out), so the scores stay bert_score's.
     */
    private Map<String, Embedded> embed(Set<String> sentences) {
        Map<String, long[]> ids = new LinkedHashMap<>();
        for (String s : sentences) {
            ids.put(s, tokenizer.encode(s));
        }
        List<String> order = new ArrayList<>(ids.keySet());
        order.sort(Comparator.comparingInt((String s) -> -ids.get(s).length).thenComparing(s -> s));
        Map<String, Embedded> out = new HashMap<>();
        for (List<String> batch : batches(order.stream().map(s -> ids.get(s).length).toList(), order, batchSize)) {
            int t = ids.get(batch.get(0)).length;
            long[] flatIds = new long[batch.size() * t];
            long[] mask = new long[batch.size() * t];
            java.util.Arrays.fill(flatIds, model.config().padTokenId());
            for (int b = 0; b < batch.size(); b++) {
                long[] one = ids.get(batch.get(b));
                System.arraycopy(one, 0, flatIds, b * t, one.length);
                java.util.Arrays.fill(mask, b * t, b * t + one.length, 1);
            }
            float[] vectors;
            int d = model.config().hiddenSize();
            try (NDManager step = manager.newSubManager()) {
                Shape shape = new Shape(batch.size(), t);
                NDArray h = model.forward(step.create(flatIds, shape), step.create(mask, shape));   // [B, T, D]
                // embedding.div_(torch.norm(embedding, dim=-1).unsqueeze(-1))
                vectors = h.div(h.norm(new int[] {-1}, true)).toFloatArray();
            }
            for (int b = 0; b < batch.size(); b++) {
                long[] one = ids.get(batch.get(b));
                float[] v = java.util.Arrays.copyOfRange(vectors, b * t * d, (b * t + one.length) * d);
                out.put(batch.get(b), new Embedded(one, v, d));
            }
        }
        return out;
    }

    /** A batch's shortest sentence is at least this fraction of its longest (in tokens). */
    static final double MIN_FILL = 0.75;

    /**
     * Cuts {@code sorted} (longest first, {@code lengths} in the same order) into batches of at most {@code batchSize},
     * each ending before a sentence shorter than {@link #MIN_FILL} of the batch's first.
     */
    static <T> List<List<T>> batches(List<Integer> lengths, List<T> sorted, int batchSize) {
        List<List<T>> out = new ArrayList<>();
        int start = 0;
        for (int i = 1; i <= sorted.size(); i++) {
            if (i == sorted.size() || i - start == batchSize || lengths.get(i) < MIN_FILL * lengths.get(start)) {
                out.add(sorted.subList(start, i));
                start = i;
            }
        }
        return out;
    }

    @Override
    public void close() {
        model.close();
        tokenizer.close();
        manager.close();
    }
}

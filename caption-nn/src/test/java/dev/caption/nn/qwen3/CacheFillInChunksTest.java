package dev.caption.nn.qwen3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * A prompt batch larger than {@link Qwen3ForCausalLM#CACHE_FILL_TOKENS} fills the KV cache in chunks of positions:
 * the hidden states must be those of one pass without a cache, and so must the next decoding step's, which reads
 * everything the chunks wrote. A left-padded row keeps its padding masked across chunk boundaries.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CacheFillInChunksTest {

    private static final int ROWS = 2;
    private static final int PAD = 5;
    /** Three chunks at two rows, the last one partial. */
    private static final int T = 2 * (Qwen3ForCausalLM.CACHE_FILL_TOKENS / ROWS) + 37;

    private NDManager manager;
    private Path dir;

    @BeforeAll
    void load() throws Exception {
        dir = Path.of(CacheFillInChunksTest.class.getResource("/fixtures/qwen3-tiny/config.json").toURI()).getParent();
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    void close() {
        manager.close();
    }

    @ParameterizedTest
    @EnumSource(Qwen3ForCausalLM.Use.class)
    void fillingTheCacheInChunksComputesWhatOnePassWithoutACacheDoes(Qwen3ForCausalLM.Use use) {
        try (Qwen3ForCausalLM model = Qwen3ForCausalLM.load(dir, List.of("model.safetensors"), manager,
                DataType.FLOAT32, use); NDManager scope = manager.newSubManager();
             KvCache cache = new KvCache(manager, model.config().numHiddenLayers(), T + 1)) {
            long[] ids = new long[ROWS * (T + 1)];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = 100 + (i * 7919L) % 5000;
            }
            NDArray all = model.embed(scope, ids).reshape(ROWS, T + 1, -1);                // [B, T + 1, H]
            long[][] positions = new long[ROWS][T + 1];
            int[][] mask = new int[ROWS][T + 1];
            for (int r = 0; r < ROWS; r++) {
                int pad = r == 1 ? PAD : 0;                                                   // row 1 left-padded
                for (int p = 0; p < T + 1; p++) {
                    mask[r][p] = p < pad ? 0 : 1;
                    positions[r][p] = Math.max(0, p - pad);
                }
            }
            NDArray prompt = all.get(new NDIndex(":, :{}, :", T));
            NDArray chunked = model.forward(prompt, cut(positions, T), cut(mask, T), cache, false).lastHiddenState();
            assertEquals(T, cache.length());
            NDArray onePass = model.forward(all, positions, mask, null, false).lastHiddenState();   // [B, T + 1, H]
            assertClose(onePass.get(new NDIndex(":, :{}, :", T)), chunked, "prompt");

            NDArray step = model.forward(all.get(new NDIndex(":, {}:, :", T)), column(positions, T), mask, cache, false)
                    .lastHiddenState();                                                          // [B, 1, H]
            assertClose(onePass.get(new NDIndex(":, {}:, :", T)), step, "the step after it");
        }
    }

    private static long[][] cut(long[][] rows, int n) {
        return Arrays.stream(rows).map(r -> Arrays.copyOf(r, n)).toArray(long[][]::new);
    }

    private static int[][] cut(int[][] rows, int n) {
        return Arrays.stream(rows).map(r -> Arrays.copyOf(r, n)).toArray(int[][]::new);
    }

    private static long[][] column(long[][] rows, int at) {
        return Arrays.stream(rows).map(r -> new long[] {r[at]}).toArray(long[][]::new);
    }

    /**
     * Within the fixtures' tolerance at every position but row 1's padding: a padding query sees no key, so HF's
     * softmax spreads it evenly over however many keys the pass has, and its (unused) output depends on the chunk.
     */
    private static void assertClose(NDArray expected, NDArray actual, String what) {
        assertEquals(expected.getShape(), actual.getShape(), what);
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        long t = expected.getShape().get(1);
        long h = expected.getShape().get(2);
        double worst = 0;
        for (int i = 0; i < e.length; i++) {
            long row = i / (t * h);
            long position = i / h % t;
            if (row == 1 && position < PAD && t > 1) {
                continue;
            }
            worst = Math.max(worst, Math.abs(e[i] - a[i]) / (1e-5 + 1e-4 * Math.abs(e[i])));
        }
        double ratio = worst;
        assertTrue(ratio <= 1, () -> what + ": off by " + ratio + " times the tolerance (atol 1e-5, rtol 1e-4)");
    }
}

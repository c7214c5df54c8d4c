package dev.caption.nn.qwen3;

import java.util.Arrays;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * Sequences of different lengths as one batch, left-padded the way transformers' generate does it: padding rows
 * hold embed(pad) with attention mask 0, and {@code position_ids = attention_mask.cumsum(-1) - 1}, 1 on padding.
 * Each input may take several consecutive rows (beams). Every decoding step appends one real key per row.
 */
final class LeftPaddedBatch {

    private final List<NDArray> inputs;
    private final int rowsPerInput;
    private int[][] mask;                 // [rows][keys so far]
    private final long[][] prefillPositions;
    private final long[] nextPosition;

    LeftPaddedBatch(List<NDArray> inputs, int rowsPerInput) {
        this.inputs = inputs;
        this.rowsPerInput = rowsPerInput;
        int rows = inputs.size() * rowsPerInput;
        int longest = inputs.stream().mapToInt(e -> (int) e.getShape().get(0)).max().orElse(0);
        mask = new int[rows][longest];
        prefillPositions = new long[rows][longest];
        nextPosition = new long[rows];
        for (int r = 0; r < rows; r++) {
            int len = (int) inputs.get(r / rowsPerInput).getShape().get(0);
            int pad = longest - len;
            for (int j = 0; j < longest; j++) {
                mask[r][j] = j < pad ? 0 : 1;
                prefillPositions[r][j] = j < pad ? 1 : j - pad;
            }
            nextPosition[r] = len;
        }
    }

    int rows() {
        return mask.length;
    }

    /** The padded prompt's length: the keys every row has before the first new token. */
    int promptLength() {
        return prefillPositions[0].length;
    }

    int[][] mask() {
        return mask;
    }

    long[][] prefillPositions() {
        return prefillPositions;
    }

    /** The padded inputs [rows, L, H], each input repeated over its rows. */
    NDArray prefillEmbeddings(NDManager step, Qwen3ForCausalLM model, long padId) {
        int longest = mask[0].length;
        NDArray padEmbed = model.embed(step, new long[] {padId});                              // [1, H]
        NDList rows = new NDList();
        for (int r = 0; r < rows(); r++) {
            NDArray e = inputs.get(r / rowsPerInput);
            int pad = longest - (int) e.getShape().get(0);
            rows.add(pad == 0 ? e : padEmbed.repeat(0, pad).concat(e, 0));
        }
        return NDArrays.stack(rows);
    }

    /**
     * One more token per row: each row's mask becomes that of {@code sourceRows[r]} (beam reordering; null keeps
     * the rows) plus one visible key. Returns the new tokens' positions [rows][1].
     */
    long[][] advance(long[] sourceRows) {
        int keys = mask[0].length + 1;
        int[][] newMask = new int[rows()][];
        long[][] positions = new long[rows()][1];
        for (int r = 0; r < rows(); r++) {
            newMask[r] = Arrays.copyOf(mask[sourceRows == null ? r : (int) sourceRows[r]], keys);
            newMask[r][keys - 1] = 1;
            positions[r][0] = nextPosition[r]++;
        }
        mask = newMask;
        return positions;
    }
}

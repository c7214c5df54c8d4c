package dev.caption.nn.qwen3;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.caption.nn.kernels.CpuKernels;

/**
 * Every expectation of {@link Qwen3ParityTest}, for the model loaded for generation: its matmul weights packed for
 * the CPU kernels and each decoding step's attention in DecodeAttention. Greedy, batched and beam outputs stay
 * token-exact, hidden states and logits within the same tolerances.
 */
class Qwen3KernelParityTest extends Qwen3ParityTest {

    @Override
    Qwen3ForCausalLM.Use use() {
        return Qwen3ForCausalLM.Use.GENERATION;
    }

    @Test
    void theKernelsAreWhatRuns() {
        assertTrue(CpuKernels.available(), () -> "the CPU kernels cannot run here: " + CpuKernels.unavailable().orElseThrow());
        assertTrue(engine().startsWith("cpu kernels"), engine());
    }
}

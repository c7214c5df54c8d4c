package dev.caption.nn.qwen3;

/** How to pick tokens: greedy (the default, deterministic captions), beam search, or seeded sampling. */
public sealed interface Decoding {

    int maxNewTokens();

    record Greedy(int maxNewTokens) implements Decoding {
    }

    record Beam(int maxNewTokens, int numBeams, int numReturn, double lengthPenalty) implements Decoding {
    }

    record Sample(int maxNewTokens, Sampling sampling) implements Decoding {
    }
}

package dev.caption.nn.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.caption.nn.modules.LinearW;

/** LLaVA's {@code mlp2x_gelu} projector: nn.Sequential(Linear(d_in, d_out), GELU(), Linear(d_out, d_out)). */
record Mlp2xGelu(LinearW mlp0, LinearW mlp2) {

    /** Keys {@code prefix + "0.weight"}, {@code "0.bias"}, {@code "2.weight"}, {@code "2.bias"}, as nn.Sequential names them. */
    static Mlp2xGelu of(AdapterParams p, String prefix, int in, int out) {
        return new Mlp2xGelu(p.linear(prefix + "0.", out, in, true), p.linear(prefix + "2.", out, out, true));
    }

    NDArray forward(NDArray x) {
        return mlp2.forward(Activation.gelu(mlp0.forward(x)));
    }
}

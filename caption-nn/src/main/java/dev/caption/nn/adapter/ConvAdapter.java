package dev.caption.nn.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv1d;
import dev.caption.nn.modules.LinearW;

/**
 * {@code conv}, the seed's sketch: relu(Conv1d(stride k)) → Linear → relu(Conv1d(stride k)) → Linear, over the
 * token axis. Options {@code kernel} (k = stride, default 2) and {@code width} (hidden channels, default d_llm).
 * T tokens become floor(floor(T/k)/k): the time-axis compression it was sketched for on audio, where T is the
 * clip's frame count and so is the prefix length.
 */
final class ConvAdapter extends Adapter {

    final NDArray conv1Weight;   // conv1.weight [width, Dv, k]
    final NDArray conv1Bias;     // conv1.bias [width]
    final LinearW fc1;           // fc1 [width, width]
    final NDArray conv2Weight;   // conv2.weight [width, width, k]
    final NDArray conv2Bias;
    final LinearW fc2;           // fc2 [Dl, width]
    private final int k;
    private final int tokensOut;

    ConvAdapter(AdapterSpec spec, NDManager m, AdapterParams p) {
        super(spec, m, p);
        k = spec.option("kernel", 2);
        int width = spec.option("width", spec.llm().hiddenSize());
        tokensOut = spec.vision().tokens() / k / k;
        if (k < 1 || tokensOut < 1) {
            throw new IllegalArgumentException("conv kernel " + k + " leaves no tokens of " + spec.vision().tokens());
        }
        NDArray[] c1 = p.conv1d("conv1.", width, spec.vision().dim(), k);
        conv1Weight = c1[0];
        conv1Bias = c1[1];
        fc1 = p.linear("fc1.", width, width, true);
        NDArray[] c2 = p.conv1d("conv2.", width, width, k);
        conv2Weight = c2[0];
        conv2Bias = c2[1];
        fc2 = p.linear("fc2.", spec.llm().hiddenSize(), width, true);
    }

    @Override
    public NDArray forward(NDArray features) {
        Shape stride = new Shape(k);
        // relu(conv1(x.transpose(1, 2))).transpose(1, 2)                        [B, T/k, W]
        NDArray h = Activation.relu(Conv1d.conv1d(features.transpose(0, 2, 1), conv1Weight, conv1Bias, stride,
                new Shape(0), new Shape(1), 1).singletonOrThrow()).transpose(0, 2, 1);
        h = fc1.forward(h);
        // relu(conv2(h.transpose(1, 2))).transpose(1, 2)                        [B, T/k/k, W]
        h = Activation.relu(Conv1d.conv1d(h.transpose(0, 2, 1), conv2Weight, conv2Bias, stride, new Shape(0),
                new Shape(1), 1).singletonOrThrow()).transpose(0, 2, 1);
        return fc2.forward(h);                                                 // [B, T/k/k, Dl]
    }

    @Override
    public int prefixTokens() {
        return tokensOut;
    }

    @Override
    public int prefixTokens(int frames) {
        int n = frames / k / k;
        if (n < 1) {
            throw new IllegalArgumentException("the conv adapter " + spec.id() + " (stride " + k + ", twice) needs at least "
                    + k * k + " frames, got " + frames);
        }
        return n;
    }
}

package dev.caption.nn.adapter;

import static dev.caption.nn.adapter.TorchReferenceFixtures.array;
import static dev.caption.nn.adapter.TorchReferenceFixtures.maxAbsError;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import ai.djl.ndarray.NDManager;
import dev.caption.tensor.SafetensorsBlob;

/** The fixed parts of the strategies against PyTorch: adaptive-average-pool bins and the resampler's positions. */
class AdapterGeometryParityTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"avgpool-7to3", "avgpool-7to2-cls", "avgpool-16to3"})
    void poolingBinsEqualAdaptiveAvgPool2dWhereTheGridsDoNotDivide(String name) {
        SafetensorsBlob ref = TorchReferenceFixtures.reference(name);
        try (NDManager m = NDManager.newBaseManager();
             AvgPoolAdapter a = (AvgPoolAdapter) Adapter.load(TorchReferenceFixtures.root().resolve(name), m);
             NDManager step = m.newSubManager()) {
            double err = maxAbsError(name + " pooled", ref.tensor("pooled"), a.pool(array(step, ref.tensor("features"))));
            System.out.printf("%-22s pooled max|diff| %.2e%n", name, err);
            assertTrue(err < 1e-6, name + ": pooled differs from F.adaptive_avg_pool2d by " + err);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"resampler-1layer", "resampler-2layers-cls"})
    void resamplerPositionsEqualMaesSinCosEmbedding(String name) {
        SafetensorsBlob ref = TorchReferenceFixtures.reference(name);
        try (NDManager m = NDManager.newBaseManager();
             ResamplerAdapter a = (ResamplerAdapter) Adapter.load(TorchReferenceFixtures.root().resolve(name), m)) {
            AdapterSpec spec = a.spec();
            int width = spec.option("width", 256);
            float[] pos = ResamplerAdapter.positions(a.grid(), width, spec.vision().keepCls());
            double err = maxAbsError(name + " pos_embed", ref.tensor("pos_embed"),
                    m.create(pos, new ai.djl.ndarray.types.Shape(pos.length / width, width)));
            System.out.printf("%-22s pos_embed max|diff| %.2e%n", name, err);
            assertTrue(err < 1e-6, name + ": positions differ from get_2d_sincos_pos_embed by " + err);
        }
    }
}

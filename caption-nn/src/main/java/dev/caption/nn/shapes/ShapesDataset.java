package dev.caption.nn.shapes;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A captioning dataset of the shapes world: every scene equally often (the 54 scenes in a seeded order, again and
 * again), each image drawn afresh by {@link ShapesRenderer} with its five captions. Reproducible from the seed.
 */
public final class ShapesDataset {

    /** One image: its id, PNG bytes, the scene it shows and its five reference captions. */
    public record Sample(String id, byte[] png, ShapesWorld.Scene scene, List<String> captions) {
    }

    private ShapesDataset() {
    }

    /** {@code count} images of {@code size}×{@code size} pixels, ids {@code shape-00000}, {@code shape-00001}, ... */
    public static List<Sample> generate(int count, int size, long seed) {
        Random random = new Random(seed);
        List<ShapesWorld.Scene> order = new ArrayList<>();
        List<Sample> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (order.isEmpty()) {
                order.addAll(ShapesWorld.scenes());
                Collections.shuffle(order, random);
            }
            ShapesWorld.Scene scene = order.remove(order.size() - 1);
            out.add(new Sample(String.format("shape-%05d", i), ShapesRenderer.png(scene, size, random), scene,
                    scene.captions()));
        }
        return out;
    }
}

package dev.caption.nn.shapes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.caption.nn.shapes.ShapesWorld.Background;
import dev.caption.nn.shapes.ShapesWorld.Colour;
import dev.caption.nn.shapes.ShapesWorld.Scene;
import dev.caption.nn.shapes.ShapesWorld.Shape;

class ShapesWorldTest {

    private static final Scene RED_CIRCLE_ON_WHITE = new Scene(Colour.RED, Shape.CIRCLE, Background.WHITE);

    @Test
    void aSceneHasTheFiveTemplateCaptions() {
        assertEquals(List.of("A red circle on a white background.", "A white picture with a red circle in it.",
                "A single red circle.", "There is a red circle in the middle.", "A simple drawing of a red circle."),
                RED_CIRCLE_ON_WHITE.captions());
        assertEquals(54, ShapesWorld.scenes().size());
    }

    @Test
    void aCaptionIsRightWhenItNamesTheColourAndTheShapeAndNothingElse() {
        assertEquals("right", ShapesWorld.judge(RED_CIRCLE_ON_WHITE, "A single red circle.").label());
        assertEquals("right", ShapesWorld.judge(RED_CIRCLE_ON_WHITE, "Two RED circles").label());
        assertEquals("wrong shape", ShapesWorld.judge(RED_CIRCLE_ON_WHITE, "A single red square.").label());
        assertEquals("wrong colour", ShapesWorld.judge(RED_CIRCLE_ON_WHITE, "A blue circle on white.").label());
        assertEquals("wrong colour and shape", ShapesWorld.judge(RED_CIRCLE_ON_WHITE, "A picture.").label());
        assertEquals("wrong colour", ShapesWorld.judge(RED_CIRCLE_ON_WHITE, "A red and blue circle.").label(),
                "naming another colour too is not right");
        assertFalse(ShapesWorld.judge(RED_CIRCLE_ON_WHITE, "A reddish circle").colourRight(), "whole words only");
    }

    @Test
    void theBackgroundIsJudgedApart() {
        ShapesWorld.Verdict none = ShapesWorld.judge(RED_CIRCLE_ON_WHITE, "A single red circle.");
        assertFalse(none.backgroundNamed());
        ShapesWorld.Verdict wrong = ShapesWorld.judge(RED_CIRCLE_ON_WHITE, "A red circle on a black background.");
        assertTrue(wrong.right() && wrong.backgroundNamed() && !wrong.backgroundRight());
        assertTrue(ShapesWorld.judge(new Scene(Colour.RED, Shape.CIRCLE, Background.GRAY), "a red circle on grey").backgroundRight());
    }

    @Test
    void referencesTellTheirScene() {
        assertEquals(Optional.of(RED_CIRCLE_ON_WHITE), ShapesWorld.sceneOf(RED_CIRCLE_ON_WHITE.captions()));
        assertEquals(Optional.empty(), ShapesWorld.sceneOf(List.of("A dog runs on the beach.")));
        assertEquals(Optional.empty(), ShapesWorld.sceneOf(List.of("A red circle.", "A blue circle on white.")));
    }

    @Test
    void theRendererPaintsTheScenesColoursAndIsReproducible() {
        for (Scene scene : ShapesWorld.scenes()) {
            BufferedImage img = ShapesRenderer.draw(scene, 96, new Random(3));
            assertEquals(scene.background().rgb(), img.getRGB(1, 1) & 0xFFFFFF, scene + " corner");
            int painted = 0;
            for (int y = 0; y < 96; y++) {
                for (int x = 0; x < 96; x++) {
                    painted += (img.getRGB(x, y) & 0xFFFFFF) == scene.colour().rgb() ? 1 : 0;
                }
            }
            assertTrue(painted > 96 * 96 / 8, scene + ": " + painted + " pixels of the shape's colour");
        }
        assertArrayEquals(ShapesRenderer.png(RED_CIRCLE_ON_WHITE, 64, new Random(9)),
                ShapesRenderer.png(RED_CIRCLE_ON_WHITE, 64, new Random(9)));
        assertThrows(IllegalArgumentException.class, () -> ShapesRenderer.draw(RED_CIRCLE_ON_WHITE, 8, new Random(1)));
    }

    @Test
    void aDatasetShowsEverySceneEquallyOften() {
        List<ShapesDataset.Sample> samples = ShapesDataset.generate(108, 32, 1);
        Map<Colour, Integer> colours = new EnumMap<>(Colour.class);
        samples.forEach(s -> colours.merge(s.scene().colour(), 1, Integer::sum));
        assertEquals(6, colours.size());
        colours.values().forEach(n -> assertEquals(18, n));
        assertEquals(54, samples.subList(0, 54).stream().map(ShapesDataset.Sample::scene).distinct().count());
        assertEquals(samples.get(7).scene().captions(), samples.get(7).captions());
    }

    @Test
    void accuracyCountsAndItsWilsonInterval() {
        ShapesAccuracy a = ShapesAccuracy.of(List.of(RED_CIRCLE_ON_WHITE, RED_CIRCLE_ON_WHITE),
                List.of("A single red circle.", "A single red square."));
        assertEquals(new ShapesAccuracy(2, 1, 2, 1, 0, 0), a);
        double[] ci = new ShapesAccuracy(100, 90, 0, 0, 0, 0).wilson95();
        assertEquals(0.8256, ci[0], 1e-4);
        assertEquals(0.9448, ci[1], 1e-4);
    }
}

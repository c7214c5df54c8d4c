package dev.caption.nn.shapes;

import java.util.List;

/**
 * Right captions over a set of shapes-world images: how many name the right colour and shape, and of those that
 * name a background, how many name the right one.
 *
 * @param images           captions judged
 * @param right            colour and shape right
 * @param colourRight      colour right
 * @param shapeRight       shape right
 * @param backgroundNamed  captions that name a background
 * @param backgroundRight  captions that name the right background (and no other)
 */
public record ShapesAccuracy(int images, int right, int colourRight, int shapeRight, int backgroundNamed,
                             int backgroundRight) {

    public static final ShapesAccuracy NONE = new ShapesAccuracy(0, 0, 0, 0, 0, 0);

    /** Judges {@code captions[i]} against {@code scenes[i]}. */
    public static ShapesAccuracy of(List<ShapesWorld.Scene> scenes, List<String> captions) {
        if (scenes.size() != captions.size()) {
            throw new IllegalArgumentException(scenes.size() + " scenes for " + captions.size() + " captions");
        }
        ShapesAccuracy a = NONE;
        for (int i = 0; i < scenes.size(); i++) {
            a = a.plus(ShapesWorld.judge(scenes.get(i), captions.get(i)));
        }
        return a;
    }

    public ShapesAccuracy plus(ShapesWorld.Verdict v) {
        return new ShapesAccuracy(images + 1, right + (v.right() ? 1 : 0), colourRight + (v.colourRight() ? 1 : 0),
                shapeRight + (v.shapeRight() ? 1 : 0), backgroundNamed + (v.backgroundNamed() ? 1 : 0),
                backgroundRight + (v.backgroundRight() ? 1 : 0));
    }

    /** right / images (NaN for none). */
    public double fraction() {
        return images == 0 ? Double.NaN : (double) right / images;
    }

    /** The 95% Wilson score interval of {@link #fraction()}: {lower, upper}. */
    public double[] wilson95() {
        if (images == 0) {
            return new double[] {Double.NaN, Double.NaN};
        }
        double z = 1.959963984540054;
        double n = images;
        double p = right / n;
        double centre = (p + z * z / (2 * n)) / (1 + z * z / n);
        double half = z * Math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n);
        return new double[] {Math.max(0, centre - half), Math.min(1, centre + half)};
    }
}

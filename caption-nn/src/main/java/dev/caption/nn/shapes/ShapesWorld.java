package dev.caption.nn.shapes;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The synthetic shapes world, defined once: a single coloured shape on a plain background, six colours × three
 * shapes × three backgrounds, and five caption templates. The renderer, the dataset's captions, the trained
 * qwen3-shapes language model and the accuracy check all use these words and colours.
 *
 * <p>A caption is <b>right</b> when the only shape colour it names is the image's and the only shape it names is the
 * image's. The background is judged apart: many templates do not mention it.
 */
public final class ShapesWorld {

    /** Shape colours, as the renderer paints them. */
    public enum Colour {
        RED(220, 30, 30), GREEN(30, 170, 60), BLUE(40, 70, 220), YELLOW(240, 220, 40), PURPLE(140, 50, 170),
        ORANGE(245, 140, 20);

        private final int rgb;

        Colour(int r, int g, int b) {
            this.rgb = (r << 16) | (g << 8) | b;
        }

        /** 0xRRGGBB. */
        public int rgb() {
            return rgb;
        }

        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Shape {
        CIRCLE, SQUARE, TRIANGLE;

        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Background {
        WHITE(255, 255, 255), BLACK(0, 0, 0), GRAY(128, 128, 128);

        private final int rgb;

        Background(int r, int g, int b) {
            this.rgb = (r << 16) | (g << 8) | b;
        }

        public int rgb() {
            return rgb;
        }

        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What one image shows. */
    public record Scene(Colour colour, Shape shape, Background background) {

        /** The five reference captions, in template order. */
        public List<String> captions() {
            List<String> out = new ArrayList<>(TEMPLATES.size());
            for (String t : TEMPLATES) {
                out.add(t.replace("{c}", colour.word()).replace("{s}", shape.word()).replace("{b}", background.word()));
            }
            return out;
        }

        /** A short id part: {@code red-circle-on-white}. */
        public String slug() {
            return colour.word() + "-" + shape.word() + "-on-" + background.word();
        }
    }

    /** The caption templates ({c} colour, {s} shape, {b} background), as qwen3-shapes was trained on them. */
    public static final List<String> TEMPLATES = List.of(
            "A {c} {s} on a {b} background.",
            "A {b} picture with a {c} {s} in it.",
            "A single {c} {s}.",
            "There is a {c} {s} in the middle.",
            "A simple drawing of a {c} {s}.");

    private static final Pattern WORD = Pattern.compile("[a-z]+");

    private ShapesWorld() {
    }

    /** All 54 scenes, colour-major. */
    public static List<Scene> scenes() {
        List<Scene> all = new ArrayList<>();
        for (Colour c : Colour.values()) {
            for (Shape s : Shape.values()) {
                for (Background b : Background.values()) {
                    all.add(new Scene(c, s, b));
                }
            }
        }
        return all;
    }

    /** The world's words that a text names: shape colours, shapes and backgrounds. */
    public record Mentions(Set<Colour> colours, Set<Shape> shapes, Set<Background> backgrounds) {
    }

    /** Which colours, shapes and background words {@code text} contains (whole words, any case, plurals too). */
    public static Mentions mentions(String text) {
        Set<Colour> colours = EnumSet.noneOf(Colour.class);
        Set<Shape> shapes = EnumSet.noneOf(Shape.class);
        Set<Background> backgrounds = EnumSet.noneOf(Background.class);
        Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT));
        while (m.find()) {
            String w = m.group();
            String singular = w.endsWith("s") ? w.substring(0, w.length() - 1) : w;
            for (Colour c : Colour.values()) {
                if (w.equals(c.word())) {
                    colours.add(c);
                }
            }
            for (Shape s : Shape.values()) {
                if (w.equals(s.word()) || singular.equals(s.word())) {
                    shapes.add(s);
                }
            }
            for (Background b : Background.values()) {
                if (w.equals(b.word()) || (b == Background.GRAY && w.equals("grey"))) {
                    backgrounds.add(b);
                }
            }
        }
        return new Mentions(colours, shapes, backgrounds);
    }

    /**
     * The scene that reference captions describe, when they agree on exactly one colour, shape and background
     * (captions that leave the background out are fine); empty for references of any other world.
     */
    public static Optional<Scene> sceneOf(List<String> references) {
        Set<Colour> colours = EnumSet.noneOf(Colour.class);
        Set<Shape> shapes = EnumSet.noneOf(Shape.class);
        Set<Background> backgrounds = EnumSet.noneOf(Background.class);
        for (String r : references) {
            Mentions m = mentions(r);
            colours.addAll(m.colours());
            shapes.addAll(m.shapes());
            backgrounds.addAll(m.backgrounds());
        }
        if (colours.size() != 1 || shapes.size() != 1 || backgrounds.size() != 1) {
            return Optional.empty();
        }
        return Optional.of(new Scene(colours.iterator().next(), shapes.iterator().next(), backgrounds.iterator().next()));
    }

    /**
     * How a caption fares against the scene it should describe.
     *
     * @param colourRight      it names the scene's colour and no other shape colour
     * @param shapeRight       it names the scene's shape and no other shape
     * @param backgroundNamed  it names a background at all
     * @param backgroundRight  it names the scene's background and no other
     */
    public record Verdict(boolean colourRight, boolean shapeRight, boolean backgroundNamed, boolean backgroundRight) {

        /** Colour and shape both right: the caption is right. */
        public boolean right() {
            return colourRight && shapeRight;
        }

        /** "right", or what is wrong: "wrong colour", "wrong shape", "wrong colour and shape". */
        public String label() {
            if (right()) {
                return "right";
            }
            return "wrong " + (!colourRight && !shapeRight ? "colour and shape" : !colourRight ? "colour" : "shape");
        }
    }

    public static Verdict judge(Scene truth, String caption) {
        Mentions m = mentions(caption);
        return new Verdict(m.colours().equals(Set.of(truth.colour())), m.shapes().equals(Set.of(truth.shape())),
                !m.backgrounds().isEmpty(), m.backgrounds().equals(Set.of(truth.background())));
    }
}

"""Draws the shapes world with Pillow, independently of the Java renderer, for the test that an adapter trained on
Java2D images captions other renderers' images right too.

    python3 python/draw_shapes_pil.py caption-nn/src/test/resources/fixtures/shapes-pil

Every scene (6 colours x 3 shapes x 3 backgrounds) twice, 96 x 96 (and a few at 64 and 160), no anti-aliasing,
shape size and place drawn from this script's own ranges; captions.txt in the Images/ + captions.txt layout.
"""
import os
import random
import sys

from PIL import Image, ImageDraw

COLOURS = {"red": (220, 30, 30), "green": (30, 170, 60), "blue": (40, 70, 220), "yellow": (240, 220, 40),
           "purple": (140, 50, 170), "orange": (245, 140, 20)}
BACKGROUNDS = {"white": (255, 255, 255), "black": (0, 0, 0), "gray": (128, 128, 128)}
SHAPES = ["circle", "square", "triangle"]
TEMPLATES = ["A {c} {s} on a {b} background.", "A {b} picture with a {c} {s} in it.", "A single {c} {s}.",
             "There is a {c} {s} in the middle.", "A simple drawing of a {c} {s}."]


def main(out):
    rnd = random.Random(2026)
    os.makedirs(os.path.join(out, "Images"), exist_ok=True)
    lines = ["image,caption"]
    n = 0
    for copy in range(2):
        for c in COLOURS:
            for s in SHAPES:
                for b in BACKGROUNDS:
                    size = rnd.choice([64, 96, 96, 96, 160])
                    im = Image.new("RGB", (size, size), BACKGROUNDS[b])
                    d = ImageDraw.Draw(im)
                    r = size * rnd.uniform(0.24, 0.36)
                    cx = size / 2 + size * rnd.uniform(-0.06, 0.06)
                    cy = size / 2 + size * rnd.uniform(-0.06, 0.06)
                    if s == "circle":
                        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=COLOURS[c])
                    elif s == "square":
                        d.rectangle([cx - r, cy - r, cx + r, cy + r], fill=COLOURS[c])
                    else:
                        d.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=COLOURS[c])
                    name = "pil-%03d" % n
                    n += 1
                    im.save(os.path.join(out, "Images", name + ".png"))
                    for t in TEMPLATES:
                        lines.append('%s.png,"%s"' % (name, t.format(c=c, s=s, b=b)))
    with open(os.path.join(out, "captions.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])

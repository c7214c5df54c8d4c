package dev.caption.cli.bench;

import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;

import javax.imageio.ImageIO;

import ai.djl.ndarray.NDManager;
import dev.caption.nn.Devices;
import dev.caption.nn.clip.ClipEncoder;
import dev.caption.nn.clip.ClipPreprocessorConfig;
import dev.caption.nn.clip.ClipVisionConfig;
import dev.caption.image.ImageDecoder;
import dev.caption.image.RgbImage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import dev.caption.cli.Sizes;
import dev.caption.cli.CaptionCommand;

/** The encoder's speed at the real ViT-B/32 size (random weights: speed does not depend on their values). */
@Command(name = "encoder", mixinStandardHelpOptions = true,
        description = "Images/s of decode + preprocess + CLIP ViT-B/32 forward (random weights), per batch size.")
public final class BenchEncoderCommand extends CaptionCommand {

    @Option(names = "--batch", split = ",", defaultValue = "1,16", description = "Batch sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(names = "--images", defaultValue = "48", description = "Images timed per batch size (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Override
    public Integer call() throws IOException {
        byte[] jpeg = photoLikeJpeg(640, 480);
        ImageDecoder decoder = new ImageDecoder();
        out().printf(Locale.ROOT, "bench encoder: ViT-B/32 (random weights), 640x480 JPEG (%s), layer -2, %s, %d threads%n",
                Sizes.human(jpeg.length), device, Runtime.getRuntime().availableProcessors());
        ClipVisionConfig vit = ClipVisionConfig.vitB32();
        int layer = -2;
        try (NDManager floorsManager = NDManager.newBaseManager(Devices.parse(device));
             Floors floors = new Floors(floorsManager);
             ClipEncoder encoder = ClipEncoder.random(vit, ClipPreprocessorConfig.openaiClip(), layer,
                     Devices.parse(device), 7)) {
            double flops = forwardFlops(vit, layer);
            for (int batch : batches) {
                run(encoder, decoder, jpeg, batch, Math.max(batch, 2 * batch));      // warm-up
                Floors.resetPeak();
                long[] t = run(encoder, decoder, jpeg, batch, images);
                long peak = Floors.rssBytes("VmHWM:");
                floors.sample();
                double total = (t[0] + t[1] + t[2]) / 1e9;
                double forwardSeconds = t[2] / 1e9 / t[3];
                out().printf(Locale.ROOT, "  batch %3d: %6.1f images/s   per image: decode %6.2f ms, preprocess %6.2f ms, "
                                + "forward %7.2f ms (%.1f GFLOP/s, %.0f%% of the GEMM peak); peak RSS %.2f GB%n",
                        batch, t[3] / total, t[0] / 1e6 / t[3], t[1] / 1e6 / t[3], forwardSeconds * 1e3,
                        flops / forwardSeconds / 1e9, 100 * flops / forwardSeconds / floors.gemmFlops(), peak / 1e9);
            }
            out().printf(Locale.ROOT, "  %.2f GFLOP per image (layers up to hidden_states[%d]); %s%n", flops / 1e9,
                    layer, floors.describe());
        }
        return 0;
    }

    /**
     * Multiply-adds ×2 of one image's forward pass up to the chosen hidden state, from the shapes: the patch
     * convolution, then per layer q/k/v/out (4·D² per token), fc1/fc2 (2·D·I per token) and attention (2·T²·D).
     */
    static double forwardFlops(ClipVisionConfig c, int layer) {
        int layersRun = layer < 0 ? c.numHiddenLayers() + 1 + layer : layer;
        double d = c.hiddenSize();
        double tokens = c.numPositions();
        double patches = tokens - 1;
        double patchConv = 2 * patches * c.numChannels() * c.patchSize() * c.patchSize() * d;
        double perLayer = 2 * tokens * (4 * d * d + 2 * d * c.intermediateSize()) + 2 * 2 * tokens * tokens * d;
        return patchConv + layersRun * perLayer;
    }

    /** {decode ns, preprocess ns, forward ns, images}. */
    private static long[] run(ClipEncoder encoder, ImageDecoder decoder, byte[] jpeg, int batch, int count) {
        long decode = 0;
        long preprocess = 0;
        long forward = 0;
        int done = 0;
        while (done < count) {
            int n = Math.min(batch, count - done);
            long t0 = System.nanoTime();
            List<RgbImage> imgs = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                imgs.add(decoder.decode(jpeg));
            }
            long t1 = System.nanoTime();
            float[] pixels = encoder.preprocess(imgs);
            long t2 = System.nanoTime();
            encoder.encodePixels(pixels, n);
            long t3 = System.nanoTime();
            decode += t1 - t0;
            preprocess += t2 - t1;
            forward += t3 - t2;
            done += n;
        }
        return new long[] {decode, preprocess, forward, done};
    }

    private static byte[] photoLikeJpeg(int w, int h) throws IOException {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setPaint(new GradientPaint(0, 0, new Color(30, 90, 160), w, h, new Color(230, 180, 90)));
        g.fillRect(0, 0, w, h);
        Random random = new Random(1);
        for (int i = 0; i < 200; i++) {
            g.setColor(new Color(random.nextInt(0x1000000)));
            g.fillOval(random.nextInt(w), random.nextInt(h), 5 + random.nextInt(80), 5 + random.nextInt(80));
        }
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "jpg", out);
        return out.toByteArray();
    }
}

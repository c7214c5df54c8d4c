package dev.caption.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDManager;
import dev.caption.core.loop.RecordOutcome;
import dev.caption.core.message.FeatureFrame;
import dev.caption.core.message.Modality;
import dev.caption.core.message.PrefixFrame;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.adapter.AdapterSpec;
import dev.caption.nn.qwen3.Prompt;
import dev.caption.service.WireDtype;
import dev.caption.tensor.DType;
import dev.caption.tensor.Tensor;

/**
 * One adapter-service serving an image and an audio adapter: each frame goes to the adapter of its modality, an
 * audio prefix is as long as its clip, and what it cannot serve is refused with the reason (the loop dead-letters
 * it). No broker: the processor and the model, as the stage runs them.
 */
class AdapterRoutingTest {

    static final String WHISPER = "whisper-tiny-test";

    private static AdapterConfig config(List<Path> dirs) {
        return new AdapterConfig() {
            public List<Path> path() {
                return dirs;
            }

            public String device() {
                return "cpu";
            }

            public WireDtype wireDtype() {
                return WireDtype.F32;
            }

            public Duration reloadInterval() {
                return Duration.ZERO;
            }
        };
    }

    private static Path audioAdapter(Path dir, String id, long seed) {
        AdapterSpec spec = AdapterSpec.builder("conv", AdapterSpec.Vision.audio(WHISPER, "local", -1, 1500, 24),
                new AdapterSpec.Llm(TestAdapters.LLM, "local", 32)).id(id).build();
        try (NDManager m = NDManager.newBaseManager(); Adapter a = Adapter.create(spec, m, seed)) {
            a.save(dir, spec);
        }
        return dir;
    }

    private static Path imageAdapter(Path dir) {
        AdapterSpec spec = TestAdapters.spec("mean-image", "mean");
        try (NDManager m = NDManager.newBaseManager(); Adapter a = Adapter.create(spec, m, 3)) {
            a.save(dir, spec);
        }
        return dir;
    }

    private static Tensor values(int rows, int dim, long seed) {
        Random r = new Random(seed);
        float[] v = new float[rows * dim];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Tensor.ofFloats(DType.F32, new long[] {rows, dim}, v);
    }

    private static ConsumerRecord<String, byte[]> record(FeatureFrame f, long offset) {
        return new ConsumerRecord<>("caption.features", 0, offset, f.id(), FeatureFrame.CODEC.toRecord("caption.features", f).value());
    }

    private static FeatureFrame clip(String id, int frames, long seed) {
        return new FeatureFrame(id, values(frames, 24, seed), WHISPER, "local", -1, false, Modality.AUDIO);
    }

    private static FeatureFrame image(String id) {
        return new FeatureFrame(id, values(16, 48, 9), TestAdapters.ENCODER, "local", -2, false, Modality.IMAGE);
    }

    @Test
    void eachFrameGoesToTheAdapterOfItsModalityAndAnAudioPrefixIsAsLongAsItsClip(@TempDir Path tmp) throws Exception {
        AdapterModel model = new AdapterModel();
        model.load(config(List.of(imageAdapter(tmp.resolve("image")), audioAdapter(tmp.resolve("audio"), "conv-tones", 1))));
        try {
            AdapterProcessor processor = new AdapterProcessor(model, "caption.prefixes", DType.F32);
            List<FeatureFrame> frames = List.of(clip("tone-1", 100, 1), image("img-1"), clip("tone-2", 37, 2),
                    clip("tone-short", 3, 3), clip("tone-long", 1501, 4));
            List<ConsumerRecord<String, byte[]>> in = new ArrayList<>();
            for (int i = 0; i < frames.size(); i++) {
                in.add(record(frames.get(i), i));
            }
            List<RecordOutcome> out = processor.process(in);

            PrefixFrame tone1 = prefix(out.get(0));
            assertEquals("conv-tones", tone1.adapter());
            assertEquals(25, tone1.prefix().dim(0));
            assertEquals(Optional.of(Prompt.AUDIO.template()), tone1.prompt());
            assertEquals(WHISPER, tone1.encoderModel());
            PrefixFrame img = prefix(out.get(1));
            assertEquals("mean-image", img.adapter());
            assertEquals(Optional.of(Prompt.IMAGE.template()), img.prompt());
            PrefixFrame tone2 = prefix(out.get(2));
            assertEquals(9, tone2.prefix().dim(0));
            // as the adapter computes the clip alone
            try (NDManager m = NDManager.newBaseManager(); Adapter a = Adapter.load(tmp.resolve("audio"), m)) {
                assertArrayEquals(a.project(List.of(frames.get(2).features().toFloats())).get(0), tone2.prefix().toFloats(), 1e-6f);
            }
            assertEquals("the conv adapter conv-tones (stride 2, twice) needs at least 4 frames, got 3", reason(out.get(3)));
            assertEquals("features do not fit adapter conv-tones: shape [1501 x 24] (adapter: [1..1500 x 24])", reason(out.get(4)));
        } finally {
            model.close();
        }
    }

    @Test
    void aModalityWithoutAnAdapterIsRefusedNamingWhatIsServed(@TempDir Path tmp) throws Exception {
        AdapterModel model = new AdapterModel();
        model.load(config(List.of(imageAdapter(tmp.resolve("image")))));
        try {
            List<RecordOutcome> out = new AdapterProcessor(model, "caption.prefixes", DType.F32)
                    .process(List.of(record(clip("tone-1", 100, 1), 0), record(image("img-1"), 1)));
            assertEquals("no adapter for audio features here: this adapter-service serves image (mean-image); add a "
                    + "directory with an audio adapter to caption.adapter.path", reason(out.get(0)));
            assertEquals("mean-image", prefix(out.get(1)).adapter());
        } finally {
            model.close();
        }
    }

    @Test
    void twoAdaptersOfOneModalityAreRefusedAtStartup(@TempDir Path tmp) {
        AdapterModel model = new AdapterModel();
        Path a = audioAdapter(tmp.resolve("a"), "conv-a", 1);
        Path b = audioAdapter(tmp.resolve("b"), "conv-b", 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.load(config(List.of(a, b))));
        assertEquals("caption.adapter.path: " + a + " and " + b + " both hold audio adapters; serve one adapter per modality",
                e.getMessage());
        model.close();
    }

    private static PrefixFrame prefix(RecordOutcome outcome) {
        RecordOutcome.Emit emit = assertInstanceOf(RecordOutcome.Emit.class, outcome, () -> outcome.toString());
        ConsumerRecord<String, byte[]> r = new ConsumerRecord<>("caption.prefixes", 0, 0, emit.records().get(0).key(),
                emit.records().get(0).value());
        return PrefixFrame.CODEC.fromRecord(r);
    }

    private static String reason(RecordOutcome outcome) {
        return assertInstanceOf(RecordOutcome.Fail.class, outcome, () -> outcome.toString()).error().getMessage();
    }
}

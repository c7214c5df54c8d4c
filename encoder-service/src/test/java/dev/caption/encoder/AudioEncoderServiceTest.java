package dev.caption.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import dev.caption.broker.CommittedRecords;
import dev.caption.broker.LocalKafkaResource;
import dev.caption.core.message.AudioEvent;
import dev.caption.core.message.CaptionHeaders;
import dev.caption.core.message.FeatureFrame;
import dev.caption.core.message.Modality;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsBlob;

/**
 * An encoder-service deployment with modality audio, on a real local broker with the whisper-tiny fixture: clips
 * in on caption.audio, Whisper features of their real frames out, and a dead letter with its reason for each kind
 * of bad audio.
 */
@QuarkusTest
@TestProfile(AudioEncoderServiceTest.Audio.class)
@QuarkusTestResource(LocalKafkaResource.class)
class AudioEncoderServiceTest {

    private static final Path FIXTURES = Path.of("..", "caption-nn", "src", "test", "resources", "fixtures");

    /** Whisper instead of CLIP; room for the 30 s clip; 31 s the longest accepted. */
    public static final class Audio implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("caption.encoder.modality", "audio",
                    "caption.encoder.model", FIXTURES.resolve("whisper-tiny").toString(),
                    "caption.encoder.max-audio-seconds", "31",
                    "caption.topics.max-image-bytes", "2000000",
                    "caption.loop.instance-id", "audio-encoder-test");
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    private static byte[] wav(String stem) throws Exception {
        return Files.readAllBytes(FIXTURES.resolve("audio/" + stem + ".wav"));
    }

    /** The start of an MP3 file: an ID3 tag and a frame header, which Tika names audio/mpeg. */
    private static byte[] mp3Header() {
        byte[] mp3 = new byte[64];
        byte[] head = {'I', 'D', '3', 3, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFB, (byte) 0x90};
        System.arraycopy(head, 0, mp3, 0, head.length);
        return mp3;
    }

    @Test
    void clipsBecomeWhisperFeaturesOfTheirRealFramesAndBadAudioIsDeadLetteredWithItsReason() throws Exception {
        Map<String, byte[]> inputs = new LinkedHashMap<>();
        inputs.put("sine", wav("sine440_1s"));
        inputs.put("silence", wav("silence_2s"));
        inputs.put("mix", wav("mix_30s"));
        inputs.put("stereo", wav("stereo_44100_2s"));
        inputs.put("flac", Files.readAllBytes(FIXTURES.resolve("audio-flac/stereo_44100_2s.flac")));
        inputs.put("text", "definitely not a sound".getBytes(StandardCharsets.UTF_8));
        inputs.put("truncated", Arrays.copyOf(wav("sine440_1s"), 30));
        inputs.put("no-samples", Arrays.copyOf(wav("sine440_1s"), 44));
        inputs.put("too-long", wav("long_35s"));
        inputs.put("mp3", mp3Header());
        inputs.put("too-big", new byte[2_000_001]);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap,
                "max.request.size", "4000000"), new StringSerializer(), new ByteArraySerializer())) {
            for (Map.Entry<String, byte[]> e : inputs.entrySet()) {
                producer.send(new AudioEvent(e.getKey(), "audio/wav", e.getValue()).submission("caption.audio", 1000)).get();
            }
        }

        SafetensorsBlob want = Safetensors.decode(Files.readAllBytes(FIXTURES.resolve("whisper-tiny.expected.safetensors")));
        Map<String, String> fixtureOf = Map.of("sine", "sine440_1s", "silence", "silence_2s", "mix", "mix_30s");
        float[] stereo = null;
        float[] flacFeatures = null;
        Map<String, Integer> frames = Map.of("sine", 50, "silence", 100, "mix", 1500, "stereo", 100, "flac", 100);
        List<ConsumerRecord<String, byte[]>> features = CommittedRecords.read(bootstrap, "caption.features", 5,
                Duration.ofSeconds(120));
        assertEquals(frames.keySet(), new java.util.HashSet<>(features.stream().map(ConsumerRecord::key).toList()));
        for (ConsumerRecord<String, byte[]> r : features) {
            FeatureFrame frame = FeatureFrame.CODEC.fromRecord(r);
            assertEquals(Modality.AUDIO, frame.modality());
            assertEquals(-1, frame.layer(), "the last hidden state");
            long kept = frames.get(r.key());
            assertEquals(List.of(kept, 64L), Arrays.stream(frame.features().shape()).boxed().toList(), r.key());
            assertTrue(new String(r.value(), StandardCharsets.ISO_8859_1).contains("\"features.frames\":\"" + kept + "\""),
                    "the frame count is in the metadata");
            assertTrue(frame.encoderModel().endsWith("whisper-tiny"), frame.encoderModel());
            assertTrue(CaptionHeaders.stageTimes(r.headers()).containsKey("audio-encoder"));
            if (r.key().equals("stereo")) {
                stereo = frame.features().toFloats();
            } else if (r.key().equals("flac")) {
                flacFeatures = frame.features().toFloats();
            }
            String stem = fixtureOf.get(r.key());
            if (stem != null) {
                // the first frames of transformers' last_hidden_state of the same clip
                float[] ref = want.tensor(stem + ".last_hidden_state").toFloats();
                float[] got = frame.features().toFloats();
                for (int i = 0; i < got.length; i++) {
                    assertEquals(ref[i], got[i], 1e-5 + 1e-4 * Math.abs(ref[i]), r.key() + "[" + i + "]");
                }
            }
        }

        assertTrue(Arrays.equals(stereo, flacFeatures), "a FLAC copy of a clip gives the same features as its WAV");

        List<ConsumerRecord<String, byte[]>> dead = CommittedRecords.read(bootstrap, "caption.dlq", 6, Duration.ofSeconds(120));
        Map<String, String> reasons = new HashMap<>();
        dead.forEach(d -> reasons.put(d.key(), CaptionHeaders.get(d.headers(), CaptionHeaders.DLQ_REASON)));
        assertEquals(6, reasons.size(), reasons.toString());
        assertEquals("not audio: text/plain", reasons.get("text"));
        assertTrue(reasons.get("truncated").startsWith("not a WAV, AIFF, AU or FLAC file that javax.sound reads"),
                reasons.toString());
        assertEquals("the audio has no samples", reasons.get("no-samples"));
        assertEquals("audio of 35.0 s exceeds the limit of 31.0 s", reasons.get("too-long"));
        assertTrue(reasons.get("mp3").startsWith("unsupported audio format audio/mpeg"), reasons.toString());
        assertEquals("audio of 2000001 bytes exceeds the 2000000-byte limit", reasons.get("too-big"));
        dead.forEach(d -> assertEquals("audio-encoder", CaptionHeaders.get(d.headers(), CaptionHeaders.DLQ_STAGE)));
    }
}

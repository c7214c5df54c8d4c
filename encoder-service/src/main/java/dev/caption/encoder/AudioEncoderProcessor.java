package dev.caption.encoder;

import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

import dev.caption.core.loop.BatchProcessor;
import dev.caption.core.loop.RecordOutcome;
import dev.caption.core.message.AudioEvent;
import dev.caption.core.message.FeatureFrame;
import dev.caption.core.message.Modality;
import dev.caption.nn.audio.AudioDecodeException;
import dev.caption.nn.audio.AudioSniffer;
import dev.caption.nn.audio.AudioDecoder;
import dev.caption.nn.whisper.WhisperAudioEncoder;
import dev.caption.tensor.DType;
import dev.caption.tensor.Tensor;

/**
 * Audio events to feature frames: each clip is checked and decoded on its own (over the size limit, not audio, an
 * unsupported format, corrupt, empty or too long: that record alone goes to the DLQ with the reason), resampled to
 * 16 kHz, and the good ones go through the Whisper encoder in one forward pass. A frame keeps only the encoder
 * frames that cover the clip's real audio; its metadata says audio and how many.
 */
public final class AudioEncoderProcessor implements BatchProcessor {

    /** Whisper's features are its last hidden state (after the final layer norm). */
    static final int LAST_HIDDEN_STATE = WhisperAudioEncoder.LAST_HIDDEN_STATE;

    private final WhisperAudioEncoder encoder;
    private final AudioDecoder decoder;
    private final String featuresTopic;
    private final DType wireDtype;
    private final int maxBytes;

    public AudioEncoderProcessor(WhisperAudioEncoder encoder, AudioDecoder decoder, String featuresTopic, DType wireDtype,
                                 int maxBytes) {
        this.encoder = encoder;
        this.decoder = decoder;
        this.featuresTopic = featuresTopic;
        this.wireDtype = wireDtype;
        this.maxBytes = maxBytes;
    }

    /** A clip that decoded: its event and its mono samples at the encoder's rate. */
    private record Decoded(AudioEvent event, float[] samples) {
    }

    @Override
    public List<RecordOutcome> process(List<ConsumerRecord<String, byte[]>> batch) throws Exception {
        return BatchProcessor.<Decoded>checkThenBatch(this::decode, decoded -> {
            List<WhisperAudioEncoder.Features> features = encoder.encode(decoded.stream().map(Decoded::samples).toList());
            List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
            for (int j = 0; j < features.size(); j++) {
                WhisperAudioEncoder.Features f = features.get(j);
                FeatureFrame frame = new FeatureFrame(decoded.get(j).event().id(),
                        Tensor.ofFloats(wireDtype, new long[] {f.frames(), f.dim()}, f.values()),
                        encoder.modelId(), encoder.revision(), LAST_HIDDEN_STATE, false, Modality.AUDIO);
                out.add(FeatureFrame.CODEC.toRecord(featuresTopic, frame));
            }
            return out;
        }).process(batch);
    }

    private Decoded decode(ConsumerRecord<String, byte[]> record) {
        AudioEvent event = AudioEvent.CODEC.fromRecord(record);
        if (event.bytes().length > maxBytes) {
            throw new IllegalArgumentException("audio of " + event.bytes().length + " bytes exceeds the " + maxBytes
                    + "-byte limit");
        }
        String rejection = AudioSniffer.rejection(AudioSniffer.detect(event.bytes()));
        if (rejection != null) {
            throw new AudioDecodeException(rejection);
        }
        return new Decoded(event, encoder.samples(decoder.decode(event.bytes())));
    }
}

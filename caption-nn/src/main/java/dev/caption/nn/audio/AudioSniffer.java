package dev.caption.nn.audio;

import java.util.Set;

import org.apache.tika.Tika;

/** Content type from the bytes (Apache Tika's magic detection), never from the file name; what {@link WavDecoder} reads. */
public final class AudioSniffer {

    /** The containers javax.sound reads with PCM samples: WAV, AIFF and AU. */
    public static final Set<String> SUPPORTED = Set.of("audio/vnd.wave", "audio/x-wav", "audio/wav", "audio/x-aiff",
            "audio/aiff", "audio/basic");

    private static final Tika TIKA = new Tika();

    private AudioSniffer() {
    }

    public static String detect(byte[] bytes) {
        return TIKA.detect(bytes);
    }

    public static boolean isAudio(String contentType) {
        return contentType.startsWith("audio/");
    }

    /** Null when the bytes are audio this code decodes, else why not. */
    public static String rejection(String contentType) {
        if (SUPPORTED.contains(contentType)) {
            return null;
        }
        if (isAudio(contentType)) {
            return "unsupported audio format " + contentType + " (WAV, AIFF and AU with PCM samples are)";
        }
        return "not audio: " + contentType;
    }
}

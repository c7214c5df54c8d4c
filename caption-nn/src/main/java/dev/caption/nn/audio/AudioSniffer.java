package dev.caption.nn.audio;

import java.util.Set;

import dev.caption.image.ImageSniffer;

/**
 * Which content types {@link AudioDecoder} reads. The type itself comes from the bytes, never the file name, by
 * the same detection images use ({@link ImageSniffer#detect}, Apache Tika's magic).
 */
public final class AudioSniffer {

    /** What {@link AudioDecoder} reads: WAV, AIFF and AU with PCM samples, and FLAC. */
    public static final Set<String> SUPPORTED = Set.of("audio/vnd.wave", "audio/x-wav", "audio/wav", "audio/x-aiff",
            "audio/aiff", "audio/basic", "audio/x-flac", "audio/flac");

    private AudioSniffer() {
    }

    public static String detect(byte[] bytes) {
        return ImageSniffer.detect(bytes);
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
            return "unsupported audio format " + contentType + " (WAV, AIFF and AU with PCM samples, and FLAC, are)";
        }
        return "not audio: " + contentType;
    }
}

package dev.caption.core.message;

import java.util.Locale;

/** What features were computed from: an image (CLIP) or an audio clip (Whisper). Lower case on the wire. */
public enum Modality {
    IMAGE, AUDIO;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Modality parse(String name) {
        for (Modality m : values()) {
            if (m.wireName().equals(name.trim().toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new MalformedMessageException("unknown modality '" + name + "' (image or audio)");
    }
}

package dev.caption.nn.hub;

/** Download progress, for progress bars. Called on the downloading thread. */
public interface DownloadListener {

    /** A file starts (or resumes at {@code alreadyHave} bytes); {@code total} is -1 when unknown. */
    default void onFileStart(String file, long total, long alreadyHave) {
    }

    default void onBytes(String file, long bytes) {
    }

    default void onFileDone(String file) {
    }

    DownloadListener NONE = new DownloadListener() {
    };
}

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

    /** One line per file started, e.g. for a service log: "downloading model.safetensors (1.2 GB, resuming at ...)". */
    static DownloadListener lines(java.util.function.Consumer<String> log) {
        return new DownloadListener() {
            @Override
            public void onFileStart(String file, long total, long alreadyHave) {
                log.accept("downloading " + file + (total > 0 ? " (" + total + " bytes)" : "")
                        + (alreadyHave > 0 ? ", resuming at byte " + alreadyHave : ""));
            }
        };
    }
}

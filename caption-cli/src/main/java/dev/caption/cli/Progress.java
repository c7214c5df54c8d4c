package dev.caption.cli;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Progress bars for long work, drawn only on terminals (to standard error, where they do not mix with results). */
public final class Progress {

    private Progress() {
    }

    /** A bar for {@code total} steps, or null when no terminal is attached (callers skip null bars). */
    public static ProgressBar bar(String task, long total) {
        if (System.console() == null) {
            return null;
        }
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(200).continuousUpdate().clearDisplayOnFinish().build();
    }

    /** Advances {@code bar} to {@code step}, if there is a bar. */
    public static void stepTo(ProgressBar bar, long step) {
        if (bar != null) {
            bar.stepTo(step);
        }
    }
}

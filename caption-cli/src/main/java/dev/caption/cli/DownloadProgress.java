package dev.caption.cli;

import java.io.PrintWriter;

import dev.caption.nn.hub.DownloadListener;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Model downloads as progress bars on terminals, one line per file otherwise. */
public final class DownloadProgress implements DownloadListener {

    private final PrintWriter err;
    private ProgressBar bar;

    public DownloadProgress(PrintWriter err) {
        this.err = err;
    }

    @Override
    public void onFileStart(String file, long total, long alreadyHave) {
        closeBar();
        if (System.console() != null && total > 0) {
            bar = new ProgressBarBuilder().setTaskName(file).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .setUnit(" MiB", 1 << 20).showSpeed().build();
            bar.stepTo(alreadyHave);
        } else {
            err.println("downloading " + file + (total > 0 ? " (" + Sizes.human(total) + ")" : "")
                    + (alreadyHave > 0 ? ", resuming at " + Sizes.human(alreadyHave) : ""));
        }
    }

    @Override
    public void onBytes(String file, long bytes) {
        if (bar != null) {
            bar.stepBy(bytes);
        }
    }

    @Override
    public void onFileDone(String file) {
        closeBar();
    }

    private void closeBar() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}

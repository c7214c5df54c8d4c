package dev.caption.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What every {@code caption} command has: picocli's writers (so output can be captured, and tests never swap
 * {@code System.out}) and whether a person is watching (progress bars only then).
 */
public abstract class CaptionCommand implements Callable<Integer> {

    @Spec
    protected CommandSpec spec;

    /** Results: what a script would read. */
    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** Progress and diagnostics. */
    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** A terminal is attached: draw progress bars. */
    protected static boolean interactive() {
        return System.console() != null;
    }
}

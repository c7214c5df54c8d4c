package dev.caption.cli;

import java.io.PrintWriter;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code caption} command. */
@Command(name = "caption", mixinStandardHelpOptions = true, version = "caption 0.1.0",
        description = "Kafka streaming image captioning: publish images, watch the streams, run a local broker.",
        subcommands = {
            BrokerCommand.class,
            TopicsCommand.class,
            PublishCommand.class,
            EncodeCommand.class,
            GenerateCommand.class,
            BertScoreCommand.class,
            TailCommand.class,
            EvalCommand.class,
            DatasetCommand.class,
            TrainCommand.class,
            CompareAdaptersCommand.class,
            DemoCommand.class,
            BenchLoopCommand.class,
            BenchEncoderCommand.class,
            BenchLlmCommand.class,
            BenchBertScoreCommand.class,
            BenchTrainCommand.class,
            BenchPipelineCommand.class,
            CommandLine.HelpCommand.class
        })
public final class CaptionCli {

    /** Exit status when some inputs were skipped but the rest went through. */
    public static final int EXIT_PARTIAL = 3;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns the exit status (for tests and main). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new CaptionCli());
        cli.setExecutionExceptionHandler(CaptionCli::oneLineError);
        return cli.execute(args);
    }

    /** Expected failures print one line naming the problem; set CAPTION_DEBUG=1 for the stack trace. */
    private static int oneLineError(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        PrintWriter err = cli.getErr();
        String message = e.getMessage() == null || e.getMessage().isBlank() ? e.toString() : e.getMessage();
        err.println(cli.getCommandSpec().qualifiedName() + ": " + message.lines().findFirst().orElse(message));
        if (System.getenv("CAPTION_DEBUG") != null) {
            e.printStackTrace(err);
        }
        err.flush();
        return 1;
    }
}

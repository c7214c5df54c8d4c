package dev.caption.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.caption.cli.bench.BenchCommand;
import dev.caption.cli.models.AdapterCommand;
import dev.caption.cli.models.BertScoreCommand;
import dev.caption.cli.models.DescribeCommand;
import dev.caption.cli.models.EncodeCommand;
import dev.caption.cli.models.EvalCommand;
import dev.caption.cli.models.GenerateCommand;
import dev.caption.cli.pipeline.DemoCommand;
import dev.caption.cli.streams.AclsCommand;
import dev.caption.cli.streams.BrokerCommand;
import dev.caption.cli.streams.PublishCommand;
import dev.caption.cli.streams.TailCommand;
import dev.caption.cli.streams.TopicsCommand;
import dev.caption.cli.training.CompareAdaptersCommand;
import dev.caption.cli.training.DatasetCommand;
import dev.caption.cli.training.TrainCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code caption} command. */
@Command(name = "caption", mixinStandardHelpOptions = true, version = "caption 0.1.0",
        description = "Kafka streaming image captioning: publish images, watch the streams, run a local broker.",
        subcommands = {
            DemoCommand.class,
            BrokerCommand.class,
            TopicsCommand.class,
            AclsCommand.class,
            PublishCommand.class,
            TailCommand.class,
            DescribeCommand.class,
            EncodeCommand.class,
            GenerateCommand.class,
            AdapterCommand.class,
            BertScoreCommand.class,
            EvalCommand.class,
            DatasetCommand.class,
            TrainCommand.class,
            CompareAdaptersCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class
        })
public final class CaptionCli {

    /** Exit status when some inputs were skipped but the rest went through. */
    public static final int EXIT_PARTIAL = 3;

    /** How the command list is grouped in the help. */
    private static final Map<String, List<String>> GROUPS = Map.of(
            "Pipeline:", List.of("demo"),
            "Streams:", List.of("broker", "topics", "acls", "publish", "tail"),
            "Models:", List.of("describe", "encode", "generate", "adapter", "bertscore", "eval"),
            "Training:", List.of("dataset", "train", "compare-adapters"),
            "Benchmarks:", List.of("bench"));
    private static final List<String> ORDER = List.of("Pipeline:", "Streams:", "Models:", "Training:", "Benchmarks:");

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns the exit status. */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** Runs a command line writing to {@code out} and {@code err} (tests capture them). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = commandLine();
        cli.setOut(out);
        cli.setErr(err);
        return cli.execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new CaptionCli());
        cli.setExecutionExceptionHandler(CaptionCli::oneLineError);
        cli.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST, CaptionCli::groupedCommands);
        return cli;
    }

    /** The subcommands by concern, benchmarks apart from the commands people use. */
    private static String groupedCommands(CommandLine.Help help) {
        StringBuilder sb = new StringBuilder();
        Map<String, CommandLine.Help> subs = help.subcommands();
        for (String group : ORDER) {
            List<String> names = new ArrayList<>(GROUPS.get(group));
            names.retainAll(subs.keySet());
            if (names.isEmpty()) {
                continue;
            }
            sb.append(group).append('\n');
            for (String name : names) {
                CommandLine.Model.UsageMessageSpec usage = subs.get(name).commandSpec().usageMessage();
                String[] line = usage.header().length > 0 ? usage.header() : usage.description();
                sb.append(String.format("  %-18s %s%n", name, line.length == 0 ? "" : line[0]));
            }
        }
        sb.append("Also:\n  help               Display help information about the specified command.\n");
        return sb.toString();
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

package dev.caption.cli.bench;

import picocli.CommandLine.Command;

/** {@code caption bench <loop|encoder|llm|bertscore|train|pipeline>}: speed and memory of each part, on this machine. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmarks of the loop, the models, training and the whole pipeline.",
            "Each prints its numbers and, where one exists, the machine's floor measured in the same run (memory",
            "bandwidth, GEMM peak)."},
        subcommands = {BenchLoopCommand.class, BenchEncoderCommand.class, BenchLlmCommand.class,
            BenchBertScoreCommand.class, BenchTrainCommand.class, BenchPipelineCommand.class})
public final class BenchCommand {
}

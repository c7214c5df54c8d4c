package dev.caption.cli.models;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import ai.djl.ndarray.NDManager;
import dev.caption.cli.CaptionCommand;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.adapter.AdapterSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** What an adapter directory holds: the spec, the parameters (loaded, so the weights are checked too), training. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print an adapter's strategy, options, features, LLM, parameter count and training summary.")
public final class AdapterInfoCommand extends CaptionCommand {

    @Parameters(paramLabel = "DIR", description = "An adapter directory (adapter.json + adapter.safetensors).")
    Path dir;

    @Override
    public Integer call() {
        try (NDManager manager = NDManager.newBaseManager(); Adapter adapter = Adapter.load(dir, manager)) {
            AdapterSpec spec = adapter.spec();
            List<String> known = Adapter.OPTIONS.getOrDefault(spec.strategy(), List.of());
            out().printf("adapter   %s (%s)%n", spec.id(), dir);
            out().printf("strategy  %s%s%n", spec.strategy(), spec.options().isEmpty() ? " (default options)"
                    : " " + spec.options().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(" ")));
            if (!known.isEmpty()) {
                out().printf("          its options: %s%n", String.join(", ", known));
            }
            AdapterSpec.Vision v = spec.vision();
            out().printf("features  %s @ %s, hidden state %d, %s CLS, [%d x %d]%n", v.model(), v.revision(), v.layer(),
                    v.keepCls() ? "with" : "without", v.tokens(), v.dim());
            out().printf("llm       %s @ %s, hidden %d%n", spec.llm().model(), spec.llm().revision(), spec.llm().hiddenSize());
            out().printf("prefix    %d tokens%n", adapter.prefixTokens());
            out().printf("params    %,d in %d tensors%n", adapter.parameterCount(), adapter.parameters().size());
            Map<String, Object> training = spec.training();
            if (training == null || training.isEmpty()) {
                out().println("training  none recorded (imported, or not trained here)");
            } else {
                training.forEach((k, val) -> out().printf("training  %s: %s%n", k, val));
            }
        }
        return 0;
    }
}

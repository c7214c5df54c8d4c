package dev.caption.cli.streams;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.kafka.common.acl.AclBinding;

import dev.caption.cli.CaptionCommand;
import dev.caption.cli.KafkaOptions;
import dev.caption.core.kafka.PipelineAcls;
import dev.caption.core.kafka.PipelineRole;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "acls", mixinStandardHelpOptions = true,
        description = {"Grant the pipeline's least-privilege ACLs on a cluster, one principal per role.",
            "Roles: encoder, audio-encoder, adapter, llm, eval (the services), publisher (images, audio and references",
            "in) and reader",
            "(everything the pipeline writes). Prints each grant. Run it with an administrator's --kafka-config;",
            "existing grants are kept. --dry-run prints without granting. --strimzi prints them as Strimzi",
            "KafkaUser resources instead (SCRAM-SHA-512, authorization: simple), for the User Operator to apply."})
public final class AclsCommand extends CaptionCommand {

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--user", paramLabel = "ROLE=NAME",
            description = "The Kafka user of a role (default: caption-<role>, e.g. caption-encoder). Repeatable.")
    Map<String, String> users = new LinkedHashMap<>();

    @Option(names = "--eval-application-id", paramLabel = "ID",
            description = "The eval service's caption.eval.application-id, if set (default: <topic prefix>caption-eval).")
    String evalApplicationId;

    @Option(names = "--dry-run", description = "Print the grants only.")
    boolean dryRun;

    @Option(names = "--strimzi", description = "Print a Strimzi KafkaUser per role instead of granting.")
    boolean strimzi;

    @Option(names = "--namespace", defaultValue = "caption", paramLabel = "NS",
            description = "With --strimzi: the KafkaUsers' namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--cluster", defaultValue = "caption-kafka", paramLabel = "NAME",
            description = "With --strimzi: the Strimzi Kafka cluster's name (default: ${DEFAULT-VALUE}).")
    String cluster;

    @Override
    public Integer call() {
        PipelineAcls acls = PipelineAcls.of(kafka.topics());
        for (Map.Entry<String, String> e : users.entrySet()) {
            acls = acls.withUser(PipelineRole.parse(e.getKey()), e.getValue());
        }
        if (evalApplicationId != null) {
            acls = acls.withEvalApplicationId(evalApplicationId);
        }
        if (strimzi) {
            out().print(StrimziUsers.yaml(acls, namespace, cluster));
            out().flush();
            return 0;
        }
        if (!dryRun) {
            acls.apply(kafka.settings());
        }
        String verb = dryRun ? "would grant " : "granted ";
        for (AclBinding b : acls.all()) {
            out().println(verb + PipelineAcls.describe(b));
        }
        return 0;
    }
}

package dev.caption.cli.streams;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import dev.caption.core.kafka.PipelineAcls;
import dev.caption.core.kafka.PipelineRole;

/**
 * {@link PipelineAcls} as Strimzi {@code KafkaUser} resources: one per role, SCRAM-SHA-512, with the role's ACLs as
 * {@code authorization: simple} rules (one rule per resource, its operations together). The User Operator then
 * creates each user's Secret (keys {@code password} and {@code sasl.jaas.config}) under the user's name.
 */
public final class StrimziUsers {

    private StrimziUsers() {
    }

    /** The KafkaUser documents for every role, as one multi-document YAML text. */
    public static String yaml(PipelineAcls acls, String namespace, String cluster) {
        YAMLMapper mapper = new YAMLMapper(YAMLFactory.builder()
                .disable(YAMLGenerator.Feature.SPLIT_LINES)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                .build());
        StringBuilder out = new StringBuilder();
        for (PipelineRole role : PipelineRole.values()) {
            try {
                out.append(mapper.writeValueAsString(user(mapper, acls, role, namespace, cluster)));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot write the KafkaUser of " + role.shortName(), e);
            }
        }
        return out.toString();
    }

    private static ObjectNode user(YAMLMapper mapper, PipelineAcls acls, PipelineRole role, String namespace, String cluster) {
        ObjectNode u = mapper.createObjectNode();
        u.put("apiVersion", "kafka.strimzi.io/v1beta2");
        u.put("kind", "KafkaUser");
        ObjectNode meta = u.putObject("metadata");
        meta.put("name", acls.user(role));
        meta.put("namespace", namespace);
        meta.putObject("labels").put("strimzi.io/cluster", cluster);
        ObjectNode spec = u.putObject("spec");
        spec.putObject("authentication").put("type", "scram-sha-512");
        ObjectNode authz = spec.putObject("authorization");
        authz.put("type", "simple");
        ArrayNode rules = authz.putArray("acls");
        for (Map.Entry<ResourcePattern, List<AclOperation>> e : byResource(acls.bindings(role)).entrySet()) {
            ObjectNode rule = rules.addObject();
            ObjectNode resource = rule.putObject("resource");
            resource.put("type", resourceType(e.getKey().resourceType()));
            resource.put("name", e.getKey().name());
            resource.put("patternType", e.getKey().patternType() == PatternType.PREFIXED ? "prefix" : "literal");
            ArrayNode ops = rule.putArray("operations");
            e.getValue().forEach(op -> ops.add(operation(op)));
            rule.put("host", "*");
        }
        return u;
    }

    private static Map<ResourcePattern, List<AclOperation>> byResource(List<AclBinding> bindings) {
        Map<ResourcePattern, List<AclOperation>> by = new LinkedHashMap<>();
        for (AclBinding b : bindings) {
            by.computeIfAbsent(b.pattern(), k -> new ArrayList<>()).add(b.entry().operation());
        }
        return by;
    }

    /** Strimzi's spelling of a resource type: topic, group, transactionalId, cluster. */
    public static String resourceType(ResourceType type) {
        return switch (type) {
            case TOPIC -> "topic";
            case GROUP -> "group";
            case TRANSACTIONAL_ID -> "transactionalId";
            case CLUSTER -> "cluster";
            default -> throw new IllegalArgumentException("Strimzi has no ACL resource type for " + type);
        };
    }

    /** Strimzi's spelling of an operation: Read, Write, DescribeConfigs ... (Kafka's, in camel case). */
    public static String operation(AclOperation op) {
        StringBuilder s = new StringBuilder();
        for (String part : op.name().split("_")) {
            s.append(part.charAt(0)).append(part.substring(1).toLowerCase(Locale.ROOT));
        }
        return s.toString();
    }
}

package dev.caption.core.kafka;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The least-privilege ACLs of the pipeline: for each {@link PipelineRole}, exactly what its clients do.
 *
 * <ul>
 *   <li>Every role: DESCRIBE on the pipeline's topics, so that each can check the topic layout at startup.</li>
 *   <li>A stage: READ its input topic, WRITE its output topics and the DLQ, READ its consumer group, WRITE and
 *       DESCRIBE its transactional ids (prefixed by its group).</li>
 *   <li>Eval (Kafka Streams): its inputs and outputs as a stage, and under its application id (prefixed) its
 *       group, its transactional ids and its internal topics (create, read, write, delete, describe them).</li>
 *   <li>Publisher: WRITE the images and references topics. Reader: READ every topic but the images, and groups
 *       prefixed {@value PipelineRole#READER_GROUP_PREFIX}.</li>
 * </ul>
 * Nothing else is granted: no CREATE on the pipeline's topics (an administrator creates them, {@code caption topics}),
 * no cluster-wide rights.
 */
public final class PipelineAcls {

    private final Topics topics;
    private final Map<PipelineRole, String> users;
    private final String evalApplicationId;

    private PipelineAcls(Topics topics, Map<PipelineRole, String> users, String evalApplicationId) {
        this.topics = topics;
        this.users = users;
        this.evalApplicationId = evalApplicationId;
    }

    /** The ACLs for {@code topics}, with the default user names ({@code caption-encoder} ...). */
    public static PipelineAcls of(Topics topics) {
        Map<PipelineRole, String> users = new EnumMap<>(PipelineRole.class);
        for (PipelineRole r : PipelineRole.values()) {
            users.put(r, r.defaultUser());
        }
        return new PipelineAcls(topics, users, PipelineRole.evalApplicationId(topics));
    }

    /** The same ACLs with {@code role} granted to {@code user} (a Kafka user name, e.g. a Strimzi KafkaUser's). */
    public PipelineAcls withUser(PipelineRole role, String user) {
        if (user == null || user.isBlank()) {
            throw new IllegalArgumentException("the user of role " + role.shortName() + " is blank");
        }
        Map<PipelineRole, String> copy = new EnumMap<>(users);
        copy.put(role, user);
        return new PipelineAcls(topics, copy, evalApplicationId);
    }

    /** The same ACLs for an eval service run with another {@code caption.eval.application-id}. */
    public PipelineAcls withEvalApplicationId(String applicationId) {
        return new PipelineAcls(topics, users, applicationId);
    }

    public String user(PipelineRole role) {
        return users.get(role);
    }

    public String principal(PipelineRole role) {
        return "User:" + users.get(role);
    }

    /** Every role's ACLs, role by role. */
    public List<AclBinding> all() {
        List<AclBinding> all = new ArrayList<>();
        for (PipelineRole r : PipelineRole.values()) {
            all.addAll(bindings(r));
        }
        return all;
    }

    /** What {@code role} is granted. */
    public List<AclBinding> bindings(PipelineRole role) {
        List<AclBinding> b = new ArrayList<>();
        String principal = principal(role);
        for (Topic t : Topic.values()) {
            b.add(allow(principal, ResourceType.TOPIC, topics.name(t), PatternType.LITERAL, AclOperation.DESCRIBE));
        }
        role.reads().forEach(t -> b.add(allow(principal, ResourceType.TOPIC, topics.name(t), PatternType.LITERAL, AclOperation.READ)));
        role.writes().forEach(t -> b.add(allow(principal, ResourceType.TOPIC, topics.name(t), PatternType.LITERAL, AclOperation.WRITE)));
        switch (role) {
            case ENCODER, AUDIO_ENCODER, ADAPTER, LLM -> {
                String group = PipelineRole.stageGroupId(role.shortName());
                b.add(allow(principal, ResourceType.GROUP, group, PatternType.LITERAL, AclOperation.READ));
                // transactional ids are <group>-<instance> (BatchLoopConfig)
                b.add(allow(principal, ResourceType.TRANSACTIONAL_ID, group + "-", PatternType.PREFIXED, AclOperation.WRITE));
                b.add(allow(principal, ResourceType.TRANSACTIONAL_ID, group + "-", PatternType.PREFIXED, AclOperation.DESCRIBE));
            }
            case EVAL -> {
                b.add(allow(principal, ResourceType.GROUP, evalApplicationId, PatternType.LITERAL, AclOperation.READ));
                // exactly_once_v2: <application.id>-<process id>-<thread>
                b.add(allow(principal, ResourceType.TRANSACTIONAL_ID, evalApplicationId + "-", PatternType.PREFIXED, AclOperation.WRITE));
                b.add(allow(principal, ResourceType.TRANSACTIONAL_ID, evalApplicationId + "-", PatternType.PREFIXED, AclOperation.DESCRIBE));
                for (AclOperation op : List.of(AclOperation.CREATE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE,
                        AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS)) {
                    // internal topics: <application.id>-<store>-changelog, -repartition
                    b.add(allow(principal, ResourceType.TOPIC, evalApplicationId + "-", PatternType.PREFIXED, op));
                }
            }
            case READER -> b.add(allow(principal, ResourceType.GROUP, PipelineRole.READER_GROUP_PREFIX, PatternType.PREFIXED,
                    AclOperation.READ));
            case PUBLISHER -> {
                // writes only; idempotent producers need no more than WRITE on the topic (Kafka 3.0+)
            }
        }
        return b;
    }

    /**
     * Creates {@link #all()} on the cluster {@code admin} reaches (with rights to alter ACLs); existing ones stay.
     * Returns once the broker answering lists them all: the controller commits new ACLs before brokers apply them,
     * so a client starting right after creation could otherwise still be refused.
     */
    public void apply(KafkaSettings admin) {
        List<AclBinding> wanted = all();
        try (Admin client = Admin.create(admin.clientConfig())) {
            client.createAcls(wanted).all().get(60, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!client.describeAcls(AclBindingFilter.ANY).values().get(30, TimeUnit.SECONDS).containsAll(wanted)) {
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("the ACLs were created but the broker did not list them within 60 s");
                }
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating ACLs", e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException("cannot create the ACLs on " + admin.bootstrapServers() + " as "
                    + admin.identity() + ": " + cause.getMessage(), cause);
        }
    }

    /** One line: {@code User:caption-encoder  READ  topic caption.images}, prefixed patterns ending in {@code *}. */
    public static String describe(AclBinding b) {
        ResourcePattern r = b.pattern();
        AccessControlEntry e = b.entry();
        return String.format(Locale.ROOT, "%-24s %-16s %-16s %s%s", e.principal(), e.operation(),
                r.resourceType().name().toLowerCase(Locale.ROOT).replace('_', '-'), r.name(),
                r.patternType() == PatternType.PREFIXED ? "*" : "");
    }

    private static AclBinding allow(String principal, ResourceType type, String name, PatternType pattern, AclOperation op) {
        return new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW));
    }
}

package dev.caption.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.MemberDescription;
import org.junit.jupiter.api.Test;

import dev.caption.broker.LocalKafkaBroker;

/**
 * A static member (one with an instance id) that closes stays in its group, keeping its partitions for a restart
 * under the same id, unless it is told to leave (KIP-1092): then the group forgets it at once, and the other
 * replicas need not wait for its session to time out. Checked on the broker's own view of the group right after
 * close, well inside the 45 s session timeout.
 */
class StaticMemberCloseTest {

    @Test
    void aStaticMemberStaysInItsGroupOnCloseUnlessToldToLeave() throws Exception {
        try (LocalKafkaBroker broker = LocalKafkaBroker.builder().build().start();
             Admin admin = Admin.create(java.util.Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                     broker.bootstrapServers()))) {
            String bootstrap = broker.bootstrapServers();
            KafkaTestSupport.createTopics(bootstrap, 2, "s.in", "s.out", "s.dlq");

            closeMember(admin, UppercaseStage.config(bootstrap, "s.in", "s.dlq").groupId("stays")
                    .instanceId("replica-0").build());
            assertEquals(Set.of("replica-0"), staticMembers(admin, "stays"), "kept for its restart");

            closeMember(admin, UppercaseStage.config(bootstrap, "s.in", "s.dlq").groupId("leaves")
                    .instanceId("replica-0").leaveGroupOnClose(true).build());
            assertEquals(Set.of(), staticMembers(admin, "leaves"), "gone at once");
        }
    }

    /** Starts a loop, waits until the broker lists it as a member of its group, and closes it. */
    private static void closeMember(Admin admin, BatchLoopConfig config) throws Exception {
        BatchLoop loop = new BatchLoop(config, UppercaseStage.processor("s.out", 0)).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!staticMembers(admin, config.groupId()).contains(config.instanceId())) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(config.instanceId() + " never joined " + config.groupId());
            }
            Thread.sleep(100);
        }
        loop.close();
    }

    private static Set<String> staticMembers(Admin admin, String group) throws Exception {
        List<MemberDescription> members = List.copyOf(admin.describeConsumerGroups(List.of(group)).all().get()
                .get(group).members());
        return members.stream().map(MemberDescription::groupInstanceId).flatMap(Optional::stream)
                .collect(Collectors.toSet());
    }
}

package dev.caption.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;

class LocalKafkaResourceTest {

    @Test
    void handsTheAppTheAddressOfARunningBrokerAndStopsIt() throws Exception {
        LocalKafkaResource resource = new LocalKafkaResource();
        Map<String, String> config = resource.start();
        String bootstrap = config.get("kafka.bootstrap.servers");
        Map<String, Object> admin = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        try (Admin client = Admin.create(admin)) {
            assertEquals(1, client.describeCluster().nodes().get(30, TimeUnit.SECONDS).size());
        }
        resource.stop();
        try (Admin client = Admin.create(admin)) {
            assertThrows(ExecutionException.class, () -> client.describeCluster().nodes().get(30, TimeUnit.SECONDS));
        }
    }
}

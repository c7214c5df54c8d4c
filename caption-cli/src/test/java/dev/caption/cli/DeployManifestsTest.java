package dev.caption.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import dev.caption.core.kafka.Topic;

/**
 * deploy/ cannot run here (no Docker, no Kubernetes), so this checks what can be checked: every file parses, and
 * the names, ports, probes, environment and topics in it agree with the code and the services' properties.
 */
class DeployManifestsTest {

    private static final Path DEPLOY = Path.of("..", "deploy");
    private static final List<String> SERVICES = List.of("encoder-service", "adapter-service", "llm-service", "eval-service");
    private static final Map<String, String> STAGES = Map.of("encoder-service", "encoder", "adapter-service", "adapter",
            "llm-service", "llm", "eval-service", "eval");

    private static List<JsonNode> yaml(Path file) throws Exception {
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = new YAMLMapper().readerFor(JsonNode.class).readValues(file.toFile())) {
            while (it.hasNext()) {
                JsonNode d = it.next();
                if (d != null && !d.isMissingNode() && !d.isNull()) {
                    docs.add(d);
                }
            }
        }
        return docs;
    }

    private static Properties properties(String module) throws Exception {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(Path.of("..", module, "src/main/resources/application.properties"))) {
            p.load(r);
        }
        return p;
    }

    /** Read by libtorch, not by Quarkus: every service runs a model, so every one sets it. */
    private static final String ALLOCATOR = "THP_MEM_ALLOC_ENABLE";

    /**
     * Quarkus' environment-variable mapping (CAPTION_EVAL_STATE_DIR is caption.eval.state-dir) onto a property the
     * service's application.properties sets; caption.topics.* are caption-service's StageConfig, defaulted in code.
     */
    private static boolean configures(Properties p, String env) {
        if (env.equals(ALLOCATOR)) {
            return true;
        }
        String dotted = env.toLowerCase(Locale.ROOT).replace('_', '.');
        return p.stringPropertyNames().stream().anyMatch(k -> k.replace('-', '.').equals(dotted))
                || dotted.equals("caption.topics.partitions") || dotted.equals("caption.topics.create");
    }

    @Test
    void composeRunsKafkaAndTheFourServicesWithTheirPortsAndConfiguredEnvironment() throws Exception {
        JsonNode compose = yaml(DEPLOY.resolve("docker-compose.yml")).get(0);
        JsonNode services = compose.get("services");
        assertTrue(services.get("kafka").get("environment").get("KAFKA_PROCESS_ROLES").asText().contains("controller"),
                "KRaft mode");
        for (String s : SERVICES) {
            JsonNode svc = services.get(s);
            Properties p = properties(s);
            String port = p.getProperty("quarkus.http.port");
            assertTrue(svc.get("image").asText().startsWith("caption/" + s + ":0.1.0"), s + " image");
            assertEquals(port + ":" + port, svc.get("ports").get(0).asText(), s + " port");
            svc.get("environment").fieldNames().forEachRemaining(env ->
                    assertTrue(configures(p, env), s + ": " + env + " configures nothing in application.properties"));
            assertEquals("1", svc.get("environment").path(ALLOCATOR).asText(), s + " runs libtorch with huge pages");
        }
        JsonNode gpu = services.get("llm-service").get("deploy").get("resources").get("reservations").get("devices").get(0);
        assertEquals("gpu", gpu.get("capabilities").get(0).asText());
    }

    @Test
    void kubernetesTopicsAreThePipelinesWithCompactionAndCoPartitioning() throws Exception {
        Map<String, JsonNode> topics = new HashMap<>();
        for (JsonNode d : yaml(DEPLOY.resolve("k8s/topics.yaml"))) {
            assertEquals("KafkaTopic", d.get("kind").asText());
            topics.put(d.get("spec").get("topicName").asText(), d.get("spec"));
        }
        assertEquals(Topic.values().length, topics.size());
        for (Topic t : Topic.values()) {
            JsonNode spec = topics.get(t.baseName());
            assertTrue(spec != null, t.baseName() + " has no KafkaTopic");
            assertEquals(t.compacted(), "compact".equals(spec.path("config").path("cleanup.policy").asText()), t + " compaction");
        }
        assertEquals(topics.get(Topic.REFERENCES.baseName()).get("partitions").asInt(),
                topics.get(Topic.CAPTIONS.baseName()).get("partitions").asInt(), "references and captions co-partitioned");
    }

    @Test
    void kubernetesDeploymentsProbeTheHealthEndpointsOnTheServicesPorts() throws Exception {
        for (String s : SERVICES) {
            JsonNode d = yaml(DEPLOY.resolve("k8s/" + s + ".yaml")).get(0);
            assertEquals("Deployment", d.get("kind").asText());
            JsonNode c = d.get("spec").get("template").get("spec").get("containers").get(0);
            Properties p = properties(s);
            int port = Integer.parseInt(p.getProperty("quarkus.http.port"));
            assertEquals(port, c.get("ports").get(0).get("containerPort").asInt(), s);
            assertEquals("/q/health/ready", c.get("readinessProbe").get("httpGet").get("path").asText());
            assertEquals("/q/health/live", c.get("livenessProbe").get("httpGet").get("path").asText());
            assertEquals(port, c.get("readinessProbe").get("httpGet").get("port").asInt());
            assertEquals(port, c.get("livenessProbe").get("httpGet").get("port").asInt());
            assertTrue(c.get("image").asText().startsWith("caption/" + s + ":0.1.0"), s + " image");
            boolean hugePages = false;
            for (JsonNode env : c.get("env")) {
                assertTrue(configures(p, env.get("name").asText()), s + ": " + env.get("name").asText());
                hugePages |= env.get("name").asText().equals(ALLOCATOR) && env.get("value").asText().equals("1");
            }
            assertTrue(hugePages, s + " runs libtorch with huge pages (" + ALLOCATOR + "=1)");
        }
        JsonNode llm = yaml(DEPLOY.resolve("k8s/llm-service.yaml")).get(0);
        assertEquals(1, llm.at("/spec/template/spec/containers/0/resources/limits").get("nvidia.com/gpu").asInt());
    }

    @Test
    void kedaScalesTheLlmServiceOnItsConsumerGroupsLagUpToThePartitionCount() throws Exception {
        JsonNode so = yaml(DEPLOY.resolve("k8s/keda-llm-service.yaml")).get(0);
        assertEquals("ScaledObject", so.get("kind").asText());
        assertEquals("llm-service", so.at("/spec/scaleTargetRef/name").asText());
        JsonNode trigger = so.at("/spec/triggers/0");
        assertEquals("kafka", trigger.get("type").asText());
        // the batch loop's default group is caption-<stage>
        assertEquals("caption-" + STAGES.get("llm-service"), trigger.at("/metadata/consumerGroup").asText());
        assertEquals(Topic.PREFIXES.baseName(), trigger.at("/metadata/topic").asText());
        int partitions = yaml(DEPLOY.resolve("k8s/topics.yaml")).stream()
                .filter(d -> d.at("/spec/topicName").asText().equals(Topic.PREFIXES.baseName()))
                .findFirst().orElseThrow().at("/spec/partitions").asInt();
        assertTrue(so.at("/spec/maxReplicaCount").asInt() <= partitions, "no more replicas than partitions");
    }

    @Test
    void everyDeployFileParsesAndTheDockerfilesBuildTheQuarkusFastJar() throws Exception {
        try (Stream<Path> files = Files.walk(DEPLOY)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml")).toList()) {
                assertTrue(!yaml(f).isEmpty(), f + " is empty");
            }
        }
        for (String df : List.of("docker/Dockerfile.cpu", "docker/Dockerfile.cuda")) {
            String text = Files.readString(DEPLOY.resolve(df));
            assertTrue(text.contains("target/quarkus-app/lib/") && text.contains("quarkus-run.jar"), df);
            assertTrue(text.contains("DJL_OFFLINE=true"), df);
            assertTrue(text.contains(ALLOCATOR + "=1"), df + " runs libtorch with huge pages");
        }
    }

    @Test
    void everyServiceTakesTheImageLimitFromTheOneTopicsSetting() throws Exception {
        java.util.Set<String> limits = new java.util.HashSet<>();
        for (String s : SERVICES) {
            Properties p = properties(s);
            String limit = p.getProperty("caption.topics.max-image-bytes");
            assertTrue(limit != null, s + " sets caption.topics.max-image-bytes, which sizes the images topic");
            limits.add(limit);
            assertTrue(p.stringPropertyNames().stream().noneMatch(k -> k.endsWith("max-image-bytes")
                    && !k.equals("caption.topics.max-image-bytes")), s + " has a second image limit");
        }
        assertEquals(1, limits.size(), "whichever service creates the topics first, they come out the same: " + limits);
    }
}

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
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.acl.AclBinding;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import dev.caption.cli.streams.StrimziUsers;
import dev.caption.core.kafka.PipelineAcls;
import dev.caption.core.kafka.PipelineRole;
import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.Topics;

/**
 * deploy/ cannot run here (no Docker, no Kubernetes), so this checks what can be checked: every file parses, and
 * the names, ports, probes, environment and topics in it agree with the code and the services' properties.
 */
class DeployManifestsTest {

    private static final Path DEPLOY = Path.of("..", "deploy");
    /** The services that run a model (and read one role's login). */
    private static final List<String> SERVICES = List.of("encoder-service", "adapter-service", "llm-service", "eval-service");
    /** The page: it publishes as the publisher and reads as the reader. */
    private static final String WEB = "web-service";
    private static final List<String> ALL = Stream.concat(SERVICES.stream(), Stream.of(WEB)).toList();
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

    /** Read by libtorch's OpenMP runtime: its workers sleep between ops instead of spinning on the kernels' cores. */
    private static final String OMP_WAIT = "OMP_WAIT_POLICY";

    /** Every property name a Kafka client takes: kafka.* are handed to the clients as they are. */
    private static final Set<String> CLIENT_PROPERTIES = Stream.of(ConsumerConfig.configNames(),
            ProducerConfig.configNames(), AdminClientConfig.configNames()).flatMap(Set::stream).collect(Collectors.toSet());

    /** web-service's two logins (WebConfig), set in deploy/ only. */
    private static final Set<String> WEB_LOGINS = Set.of("caption.web.publisher.kafka.config", "caption.web.reader.kafka.config",
            "caption.web.publisher.sasl.jaas.config", "caption.web.reader.sasl.jaas.config");

    /**
     * Quarkus' environment-variable mapping (CAPTION_EVAL_STATE_DIR is caption.eval.state-dir) onto a property the
     * service's application.properties sets; caption.topics.* and caption.loop.* are caption-service's StageConfig,
     * defaulted in code; KAFKA_* are Kafka client properties (the kafka client extension lower-cases them and turns
     * _ into .), so each must be one a client knows.
     */
    private static boolean configures(Properties p, String env) {
        if (env.equals(ALLOCATOR) || env.equals(OMP_WAIT)) {
            return true;
        }
        String dotted = env.toLowerCase(Locale.ROOT).replace('_', '.');
        if (dotted.startsWith("kafka.")) {
            return CLIENT_PROPERTIES.contains(dotted.substring("kafka.".length()));
        }
        return p.stringPropertyNames().stream().anyMatch(k -> k.replace('-', '.').equals(dotted))
                || dotted.equals("caption.topics.partitions") || dotted.equals("caption.topics.create")
                || dotted.equals("caption.loop.instance.id") || WEB_LOGINS.contains(dotted);
    }

    @Test
    void composeRunsKafkaTheFourServicesAndTheWebPageWithTheirPortsAndConfiguredEnvironment() throws Exception {
        JsonNode compose = yaml(DEPLOY.resolve("docker-compose.yml")).get(0);
        JsonNode services = compose.get("services");
        assertTrue(services.get("kafka").get("environment").get("KAFKA_PROCESS_ROLES").asText().contains("controller"),
                "KRaft mode");
        for (String s : ALL) {
            JsonNode svc = services.get(s);
            Properties p = properties(s);
            String port = p.getProperty("quarkus.http.port");
            assertTrue(svc.get("image").asText().startsWith("caption/" + s + ":0.1.0"), s + " image");
            assertEquals(port + ":" + port, svc.get("ports").get(0).asText(), s + " port");
            svc.get("environment").fieldNames().forEachRemaining(env ->
                    assertTrue(configures(p, env), s + ": " + env + " configures nothing in application.properties"));
            if (SERVICES.contains(s)) {
                assertEquals("1", svc.get("environment").path(ALLOCATOR).asText(), s + " runs libtorch with huge pages");
                assertEquals("PASSIVE", svc.get("environment").path(OMP_WAIT).asText(), s + " lets OpenMP workers sleep");
            }
        }
        JsonNode gpu = services.get("llm-service").get("deploy").get("resources").get("reservations").get("devices").get(0);
        assertEquals("gpu", gpu.get("capabilities").get(0).asText());
        // the audio profile: the encoder-service image again, on audio, its environment the encoder's
        JsonNode audio = services.get("audio-encoder-service");
        assertEquals("audio", audio.at("/profiles/0").asText());
        assertTrue(audio.get("image").asText().startsWith("caption/encoder-service:0.1.0"));
        assertEquals("audio", audio.at("/environment/CAPTION_ENCODER_MODALITY").asText());
        Properties encoder = properties("encoder-service");
        audio.get("environment").fieldNames().forEachRemaining(env ->
                assertTrue(configures(encoder, env), "audio-encoder-service: " + env + " configures nothing"));
    }

    /** The value after {@code option} in a command list. */
    private static String argument(JsonNode command, String option) {
        for (int i = 0; i + 1 < command.size(); i++) {
            if (command.get(i).asText().equals(option)) {
                return command.get(i + 1).asText();
            }
        }
        throw new AssertionError("the command " + command + " has no " + option);
    }

    @Test
    void composesSecureVariantRunsTheSecuredBrokerAndEachServiceReadsItsOwnUsersClientFile() throws Exception {
        JsonNode services = yaml(DEPLOY.resolve("docker-compose.secure.yml")).get(0).get("services");
        JsonNode kafka = services.get("kafka");
        JsonNode command = kafka.get("command");
        assertEquals("broker", command.get(0).asText());
        assertTrue(command.toString().contains("\"--secure\""), "SASL_SSL, SCRAM and ACLs");
        assertEquals("kafka", argument(command, "--host"), "the certificate and the client files name the service");
        String port = argument(command, "--port");
        assertEquals(port + ":" + port, kafka.at("/ports/0").asText(), "only the secured port is published");
        assertEquals(1, kafka.get("ports").size());
        assertTrue(kafka.at("/healthcheck/test").toString().contains(argument(command, "--ready-file")),
                "healthy once topics and ACLs are in place");
        // caption broker keeps the client files in DATA/security/clients/<user>.properties (BrokerSecurity)
        String security = argument(command, "--data") + "/security";
        String volume = null;
        for (JsonNode v : kafka.get("volumes")) {
            if (v.asText().endsWith(":" + security)) {
                volume = v.asText().substring(0, v.asText().indexOf(':'));
            }
        }
        assertTrue(volume != null, "the broker's security directory is a volume of its own");
        PipelineAcls acls = PipelineAcls.of(Topics.defaults());
        for (String s : SERVICES) {
            JsonNode svc = services.get(s);
            JsonNode env = svc.get("environment");
            String user = acls.user(PipelineRole.parse(STAGES.get(s)));
            assertEquals(security + "/clients/" + user + ".properties", env.get("CAPTION_KAFKA_CONFIG").asText(),
                    s + " logs in as its role's user");
            assertEquals("false", env.get("CAPTION_TOPICS_CREATE").asText(), s + " has no right to create topics");
            assertEquals("kafka:" + port, env.get("KAFKA_BOOTSTRAP_SERVERS").asText(), s);
            Properties p = properties(s);
            env.fieldNames().forEachRemaining(name -> assertTrue(configures(p, name) || name.equals("CAPTION_KAFKA_CONFIG"),
                    s + ": " + name));
            assertEquals(volume + ":" + security + ":ro", svc.at("/volumes/0").asText(), s + " reads the client files read-only");
            assertEquals("service_healthy", svc.at("/depends_on/kafka/condition").asText(), s);
            if (s.equals("encoder-service")) {
                JsonNode audio = services.get("audio-encoder-service");
                assertEquals(security + "/clients/" + acls.user(PipelineRole.AUDIO_ENCODER) + ".properties",
                        audio.at("/environment/CAPTION_KAFKA_CONFIG").asText(), "the audio encoder logs in as its own user");
                assertEquals(volume + ":" + security + ":ro", audio.at("/volumes/0").asText());
            }
        }
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

    /** The service's workload: the first StatefulSet or Deployment in its file. */
    private static JsonNode workload(String service) throws Exception {
        return yaml(DEPLOY.resolve("k8s/" + service + ".yaml")).stream()
                .filter(d -> Set.of("StatefulSet", "Deployment").contains(d.get("kind").asText()))
                .findFirst().orElseThrow(() -> new AssertionError(service + " has no StatefulSet or Deployment"));
    }

    private static JsonNode env(JsonNode container, String name) {
        for (JsonNode e : container.get("env")) {
            if (e.get("name").asText().equals(name)) {
                return e;
            }
        }
        throw new AssertionError(container.get("name").asText() + " does not set " + name);
    }

    @Test
    void kubernetesWorkloadsProbeTheHealthEndpointsOnTheServicesPorts() throws Exception {
        for (String s : ALL) {
            JsonNode c = workload(s).at("/spec/template/spec/containers/0");
            Properties p = properties(s);
            int port = Integer.parseInt(p.getProperty("quarkus.http.port"));
            assertEquals(port, c.get("ports").get(0).get("containerPort").asInt(), s);
            assertEquals("/q/health/ready", c.get("readinessProbe").get("httpGet").get("path").asText());
            assertEquals("/q/health/live", c.get("livenessProbe").get("httpGet").get("path").asText());
            assertEquals(port, c.get("readinessProbe").get("httpGet").get("port").asInt());
            assertEquals(port, c.get("livenessProbe").get("httpGet").get("port").asInt());
            assertTrue(c.get("image").asText().startsWith("caption/" + s + ":0.1.0"), s + " image");
            for (JsonNode env : c.get("env")) {
                assertTrue(configures(p, env.get("name").asText()), s + ": " + env.get("name").asText()
                        + " configures nothing in application.properties, StageConfig or the Kafka clients");
            }
            if (SERVICES.contains(s)) {
                assertEquals("1", env(c, ALLOCATOR).get("value").asText(), s + " runs libtorch with huge pages");
                assertEquals("PASSIVE", env(c, OMP_WAIT).get("value").asText(), s + " lets OpenMP workers sleep");
            }
        }
        JsonNode llm = workload("llm-service");
        assertEquals(1, llm.at("/spec/template/spec/containers/0/resources/limits").get("nvidia.com/gpu").asInt());
    }

    @Test
    void batchLoopStagesAreStatefulSetsWhosePodNameIsTheirInstanceId() throws Exception {
        for (String s : List.of("encoder-service", "audio-encoder-service", "adapter-service", "llm-service")) {
            JsonNode w = workload(s);
            assertEquals("StatefulSet", w.get("kind").asText(), s + ": a restarted replica keeps its name and fences at once");
            String governing = w.at("/spec/serviceName").asText();
            assertTrue(yaml(DEPLOY.resolve("k8s/" + s + ".yaml")).stream().anyMatch(d -> d.get("kind").asText().equals("Service")
                    && d.at("/metadata/name").asText().equals(governing) && d.at("/spec/clusterIP").asText().equals("None")),
                    s + " has its headless governing Service " + governing);
            JsonNode id = env(w.at("/spec/template/spec/containers/0"), "CAPTION_LOOP_INSTANCE_ID");
            assertEquals("metadata.name", id.at("/valueFrom/fieldRef/fieldPath").asText(), s);
        }
    }

    private static JsonNode kafkaCluster() throws Exception {
        return yaml(DEPLOY.resolve("k8s/kafka.yaml")).stream().filter(d -> d.get("kind").asText().equals("Kafka"))
                .findFirst().orElseThrow();
    }

    @Test
    void theStrimziClusterHasOnlyATlsScramListenerAndSimpleAuthorization() throws Exception {
        JsonNode kafka = kafkaCluster().at("/spec/kafka");
        assertEquals("simple", kafka.at("/authorization/type").asText());
        assertTrue(kafka.path("config").path("allow.everyone.if.no.acl.found").asText("false").equals("false"));
        assertEquals(1, kafka.get("listeners").size(), "one client listener");
        JsonNode listener = kafka.get("listeners").get(0);
        assertTrue(listener.get("tls").asBoolean(), "TLS");
        assertEquals("scram-sha-512", listener.at("/authentication/type").asText());
        assertTrue(kafkaCluster().at("/spec/entityOperator").has("userOperator"), "the User Operator makes the users' Secrets");
    }

    /** The ACLs of a KafkaUser, or of a role's bindings, as comparable lines: type name pattern operation. */
    private static Set<String> strimziAcls(JsonNode user) {
        Set<String> acls = new TreeSet<>();
        for (JsonNode rule : user.at("/spec/authorization/acls")) {
            assertEquals("*", rule.path("host").asText("*"));
            assertTrue(!rule.has("type") || rule.get("type").asText().equals("allow"), "allow rules only");
            for (JsonNode op : rule.get("operations")) {
                acls.add(rule.at("/resource/type").asText() + " " + rule.at("/resource/name").asText() + " "
                        + rule.at("/resource/patternType").asText("literal") + " " + op.asText());
            }
        }
        return acls;
    }

    private static Set<String> strimziAcls(List<AclBinding> bindings) {
        return bindings.stream().map(b -> StrimziUsers.resourceType(b.pattern().resourceType()) + " " + b.pattern().name()
                + " " + (b.pattern().patternType().name().equals("PREFIXED") ? "prefix" : "literal") + " "
                + StrimziUsers.operation(b.entry().operation())).collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void eachRolesKafkaUserHasScramAndExactlyTheAclsTheCodeNeeds() throws Exception {
        PipelineAcls acls = PipelineAcls.of(Topics.defaults());
        Map<String, JsonNode> users = new HashMap<>();
        for (JsonNode d : yaml(DEPLOY.resolve("k8s/users.yaml"))) {
            assertEquals("KafkaUser", d.get("kind").asText());
            assertEquals(kafkaCluster().at("/metadata/name").asText(), d.at("/metadata/labels/strimzi.io~1cluster").asText());
            users.put(d.at("/metadata/name").asText(), d);
        }
        assertEquals(PipelineRole.values().length, users.size(), "one user per role: " + users.keySet());
        for (PipelineRole role : PipelineRole.values()) {
            JsonNode user = users.get(acls.user(role));
            assertTrue(user != null, "no KafkaUser " + acls.user(role) + " for the " + role.shortName() + " role");
            assertEquals("scram-sha-512", user.at("/spec/authentication/type").asText(), role.shortName());
            assertEquals("simple", user.at("/spec/authorization/type").asText(), role.shortName());
            assertEquals(strimziAcls(acls.bindings(role)), strimziAcls(user), role.shortName() + "'s ACLs");
        }
    }

    @Test
    void eachServiceLogsInAsItsRolesUserOverTheScramListenerTrustingTheClusterCa() throws Exception {
        PipelineAcls acls = PipelineAcls.of(Topics.defaults());
        JsonNode kafka = kafkaCluster();
        JsonNode listener = kafka.at("/spec/kafka/listeners/0");
        String bootstrap = kafka.at("/metadata/name").asText() + "-kafka-bootstrap:" + listener.get("port").asInt();
        String caSecret = kafka.at("/metadata/name").asText() + "-cluster-ca-cert";
        for (String s : SERVICES) {
            JsonNode pod = workload(s).at("/spec/template/spec");
            JsonNode c = pod.at("/containers/0");
            assertEquals(bootstrap, env(c, "KAFKA_BOOTSTRAP_SERVERS").get("value").asText(), s);
            assertEquals("SASL_SSL", env(c, "KAFKA_SECURITY_PROTOCOL").get("value").asText(), s);
            assertEquals(listener.at("/authentication/type").asText(),
                    env(c, "KAFKA_SASL_MECHANISM").get("value").asText().toLowerCase(Locale.ROOT), s);
            JsonNode jaas = env(c, "KAFKA_SASL_JAAS_CONFIG").at("/valueFrom/secretKeyRef");
            assertEquals(acls.user(PipelineRole.parse(STAGES.get(s))), jaas.get("name").asText(), s + " logs in as its role's user");
            assertEquals("sasl.jaas.config", jaas.get("key").asText(), s);
            assertEquals("PEM", env(c, "KAFKA_SSL_TRUSTSTORE_TYPE").get("value").asText(), s);
            Path truststore = Path.of(env(c, "KAFKA_SSL_TRUSTSTORE_LOCATION").get("value").asText());
            String volume = null;
            for (JsonNode m : c.get("volumeMounts")) {
                if (truststore.startsWith(m.get("mountPath").asText())) {
                    volume = m.get("name").asText();
                }
            }
            assertTrue(volume != null, s + ": nothing is mounted at " + truststore);
            boolean fromCa = false;
            for (JsonNode v : pod.get("volumes")) {
                fromCa |= v.get("name").asText().equals(volume) && v.at("/secret/secretName").asText().equals(caSecret);
            }
            assertTrue(fromCa, s + ": " + truststore + " comes from the cluster CA Secret " + caSecret);
        }
    }

    @Test
    void theAudioEncoderIsTheEncoderImageWithModalityAudioUnderItsOwnUser() throws Exception {
        JsonNode c = workload("audio-encoder-service").at("/spec/template/spec/containers/0");
        Properties p = properties("encoder-service");
        int port = Integer.parseInt(p.getProperty("quarkus.http.port"));
        assertTrue(c.get("image").asText().startsWith("caption/encoder-service:0.1.0"), "the encoder-service image");
        assertEquals(port, c.at("/ports/0/containerPort").asInt());
        assertEquals(port, c.at("/readinessProbe/httpGet/port").asInt());
        assertEquals("audio", env(c, "CAPTION_ENCODER_MODALITY").get("value").asText());
        assertEquals(PipelineAcls.of(Topics.defaults()).user(PipelineRole.AUDIO_ENCODER),
                env(c, "KAFKA_SASL_JAAS_CONFIG").at("/valueFrom/secretKeyRef/name").asText());
        for (JsonNode env : c.get("env")) {
            assertTrue(configures(p, env.get("name").asText()), env.get("name").asText());
        }
        assertEquals("1", env(c, ALLOCATOR).get("value").asText(), "runs libtorch with huge pages");
        assertEquals("PASSIVE", env(c, OMP_WAIT).get("value").asText(), "lets OpenMP workers sleep");
    }

    @Test
    void theWebPageLogsInAsThePublisherToWriteAndAsTheReaderToRead() throws Exception {
        PipelineAcls acls = PipelineAcls.of(Topics.defaults());
        JsonNode kafka = kafkaCluster();
        JsonNode c = workload(WEB).at("/spec/template/spec/containers/0");
        assertEquals(kafka.at("/metadata/name").asText() + "-kafka-bootstrap:" + kafka.at("/spec/kafka/listeners/0/port").asInt(),
                env(c, "KAFKA_BOOTSTRAP_SERVERS").get("value").asText());
        assertEquals("SASL_SSL", env(c, "KAFKA_SECURITY_PROTOCOL").get("value").asText());
        assertEquals(acls.user(PipelineRole.PUBLISHER),
                env(c, "CAPTION_WEB_PUBLISHER_SASL_JAAS_CONFIG").at("/valueFrom/secretKeyRef/name").asText());
        assertEquals(acls.user(PipelineRole.READER),
                env(c, "CAPTION_WEB_READER_SASL_JAAS_CONFIG").at("/valueFrom/secretKeyRef/name").asText());
        assertEquals("false", env(c, "CAPTION_TOPICS_CREATE").get("value").asText());
        JsonNode service = yaml(DEPLOY.resolve("k8s/" + WEB + ".yaml")).stream()
                .filter(d -> d.get("kind").asText().equals("Service")).findFirst().orElseThrow();
        assertEquals(c.at("/ports/0/containerPort").asInt(), service.at("/spec/ports/0/targetPort").asInt(), "the page's Service");

        JsonNode compose = yaml(DEPLOY.resolve("docker-compose.secure.yml")).get(0).at("/services/" + WEB + "/environment");
        String clients = "/caption/security/clients/";
        assertEquals(clients + acls.user(PipelineRole.PUBLISHER) + ".properties",
                compose.get("CAPTION_WEB_PUBLISHER_KAFKA_CONFIG").asText());
        assertEquals(clients + acls.user(PipelineRole.READER) + ".properties", compose.get("CAPTION_WEB_READER_KAFKA_CONFIG").asText());
    }

    @Test
    void kedaScalesTheLlmServiceOnItsConsumerGroupsLagUpToThePartitionCountAsTheLlmUser() throws Exception {
        List<JsonNode> docs = yaml(DEPLOY.resolve("k8s/keda-llm-service.yaml"));
        JsonNode so = docs.stream().filter(d -> d.get("kind").asText().equals("ScaledObject")).findFirst().orElseThrow();
        assertEquals("llm-service", so.at("/spec/scaleTargetRef/name").asText());
        assertEquals(workload("llm-service").get("kind").asText(), so.at("/spec/scaleTargetRef/kind").asText());
        JsonNode trigger = so.at("/spec/triggers/0");
        assertEquals("kafka", trigger.get("type").asText());
        // the batch loop's default group is caption-<stage>
        String group = PipelineRole.stageGroupId(STAGES.get("llm-service"));
        assertEquals(group, trigger.at("/metadata/consumerGroup").asText());
        assertEquals(Topic.PREFIXES.baseName(), trigger.at("/metadata/topic").asText());
        int partitions = yaml(DEPLOY.resolve("k8s/topics.yaml")).stream()
                .filter(d -> d.at("/spec/topicName").asText().equals(Topic.PREFIXES.baseName()))
                .findFirst().orElseThrow().at("/spec/partitions").asInt();
        assertTrue(so.at("/spec/maxReplicaCount").asInt() <= partitions, "no more replicas than partitions");

        JsonNode kafka = kafkaCluster();
        assertEquals(kafka.at("/metadata/name").asText() + "-kafka-bootstrap:" + kafka.at("/spec/kafka/listeners/0/port").asInt(),
                trigger.at("/metadata/bootstrapServers").asText());
        String authName = trigger.at("/authenticationRef/name").asText();
        JsonNode auth = docs.stream().filter(d -> d.get("kind").asText().equals("TriggerAuthentication")
                && d.at("/metadata/name").asText().equals(authName)).findFirst().orElseThrow();
        Map<String, JsonNode> params = new HashMap<>();
        auth.at("/spec/secretTargetRef").forEach(r -> params.put(r.get("parameter").asText(), r));
        String llmUser = PipelineAcls.of(Topics.defaults()).user(PipelineRole.LLM);
        assertEquals(llmUser, params.get("password").get("name").asText(), "the password of the llm user's Secret");
        assertEquals(kafka.at("/metadata/name").asText() + "-cluster-ca-cert", params.get("ca").get("name").asText());
        JsonNode login = docs.stream().filter(d -> d.get("kind").asText().equals("Secret")
                && d.at("/metadata/name").asText().equals(params.get("username").get("name").asText())).findFirst().orElseThrow();
        assertEquals(llmUser, login.at("/stringData/username").asText());
        assertEquals("scram_sha512", login.at("/stringData/sasl").asText());
        assertEquals("enable", login.at("/stringData/tls").asText());
        // describing a group's offsets needs DESCRIBE on it, which READ implies
        assertTrue(strimziAcls(PipelineAcls.of(Topics.defaults()).bindings(PipelineRole.LLM)).contains("group " + group + " literal Read"));
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
            assertTrue(text.contains(OMP_WAIT + "=PASSIVE"), df + " lets OpenMP workers sleep");
            assertTrue(text.contains("JAVA_OPTS=\"") && text.contains("--add-modules=jdk.incubator.vector"),
                    df + " gives the JVM the Vector API that llm-service's CPU kernels use");
        }
    }

    @Test
    void everyServiceTakesTheImageLimitFromTheOneTopicsSetting() throws Exception {
        java.util.Set<String> limits = new java.util.HashSet<>();
        for (String s : ALL) {
            Properties p = properties(s);
            String limit = p.getProperty("caption.topics.max-image-bytes");
            assertTrue(limit != null, s + " sets caption.topics.max-image-bytes, which sizes the images topic");
            limits.add(limit);
            // a %test. profile value only sizes that module's own tests
            assertTrue(p.stringPropertyNames().stream().noneMatch(k -> k.endsWith("max-image-bytes") && !k.startsWith("%test.")
                    && !k.equals("caption.topics.max-image-bytes")), s + " has a second image limit");
        }
        assertEquals(1, limits.size(), "whichever service creates the topics first, they come out the same: " + limits);
    }
}

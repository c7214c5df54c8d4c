package dev.caption.nn.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointResolverTest {

    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    private static final String INDEX = "{\"metadata\":{\"total_size\":600000},\"weight_map\":{"
            + "\"a.weight\":\"model-00001-of-00002.safetensors\",\"b.weight\":\"model-00002-of-00002.safetensors\","
            + "\"c.weight\":\"model-00001-of-00002.safetensors\"}}";

    @TempDir
    Path tmp;

    private FakeHub hub;
    private Map<String, byte[]> files;

    @BeforeEach
    void startHub() throws Exception {
        hub = new FakeHub();
        files = new LinkedHashMap<>();
        files.put("config.json", "{\"model_type\":\"qwen3\"}".getBytes(StandardCharsets.UTF_8));
        files.put("model.safetensors.index.json", INDEX.getBytes(StandardCharsets.UTF_8));
        files.put("model-00001-of-00002.safetensors", random(300_000, 1));
        files.put("model-00002-of-00002.safetensors", random(300_000, 2));
        files.put("tokenizer.json", "{\"version\":\"1.0\"}".getBytes(StandardCharsets.UTF_8));
        hub.add("Org/tiny-model", COMMIT, files,
                Set.of("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"), null);
        hub.add("Org/gated", COMMIT, files, Set.of(), "hf_good");
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    @Test
    void downloadsAShardedCheckpointIntoTheHuggingFaceCacheLayout() throws Exception {
        CheckpointResolver.Resolved r = resolver(Map.of()).resolve(ModelRef.parse("Org/tiny-model", null),
                List.of("tokenizer.json", "generation_config.json"));

        Path repo = tmp.resolve("hf/hub/models--Org--tiny-model");
        assertEquals(repo.resolve("snapshots").resolve(COMMIT), r.dir());
        assertEquals(COMMIT, r.commit());
        assertEquals(List.of("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"), r.weightFiles());
        assertEquals(COMMIT, Files.readString(repo.resolve("refs/main")));
        for (String f : files.keySet()) {
            Path link = r.file(f);
            assertTrue(Files.isSymbolicLink(link), f + " is a link into blobs/");
            assertArrayEquals(files.get(f), Files.readAllBytes(link), f);
        }
        String shardSha = FakeHub.sha256(files.get("model-00001-of-00002.safetensors"));
        assertTrue(Files.isRegularFile(repo.resolve("blobs").resolve(shardSha)), "LFS blobs are named by sha256");
        assertTrue(Files.isRegularFile(repo.resolve("blobs").resolve(FakeHub.gitBlobSha1(files.get("config.json")))));
        assertFalse(Files.exists(r.file("generation_config.json")), "optional files the model lacks are skipped");

        // the same cache serves an offline run, as it would serve Python's from_pretrained
        CheckpointResolver.Resolved offline = resolver(Map.of("HF_HUB_OFFLINE", "1"))
                .resolve(ModelRef.parse("Org/tiny-model", "main"), List.of());
        assertEquals(r.dir(), offline.dir());
        assertEquals(r.weightFiles(), offline.weightFiles());
    }

    @Test
    void anInterruptedDownloadResumesWithARangeRequest() throws Exception {
        String sha = FakeHub.sha256(files.get("model-00002-of-00002.safetensors"));
        hub.interruptOnce.add(sha);
        AtomicLong resumedAt = new AtomicLong(-1);
        DownloadListener listener = new DownloadListener() {
            @Override
            public void onFileStart(String file, long total, long alreadyHave) {
                if (alreadyHave > 0) {
                    resumedAt.set(alreadyHave);
                }
            }
        };
        CheckpointResolver.Resolved r = new CheckpointResolver(env(Map.of()), listener)
                .resolve(ModelRef.parse("Org/tiny-model", null), List.of());

        assertArrayEquals(files.get("model-00002-of-00002.safetensors"),
                Files.readAllBytes(r.file("model-00002-of-00002.safetensors")));
        assertTrue(resumedAt.get() > 0, "the second attempt started from the bytes already on disk");
        assertTrue(hub.requests.contains("GET /lfs/" + sha + " bytes=" + resumedAt.get() + "-"), hub.requests.toString());
    }

    @Test
    void aCorruptDownloadFailsItsIntegrityCheckAndIsDiscarded() {
        String sha = FakeHub.sha256(files.get("model-00001-of-00002.safetensors"));
        hub.corrupt.add(sha);
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> resolver(Map.of()).resolve(ModelRef.parse("Org/tiny-model", null), List.of()));
        assertTrue(e.getMessage().contains("failed its integrity check"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("hf/hub/models--Org--tiny-model/blobs").resolve(sha)));
    }

    @Test
    void aMissingRevisionOrModelIsA404NamingIt() {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> resolver(Map.of()).resolve(ModelRef.parse("Org/tiny-model@v9", null), List.of()));
        assertTrue(e.getMessage().contains("model Org/tiny-model (revision v9) has no config.json"), e.getMessage());
        assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
    }

    @Test
    void aGatedModelNeedsHfTokenAndSendsItAsABearerToken() throws Exception {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> resolver(Map.of()).resolve(ModelRef.parse("Org/gated", null), List.of()));
        assertTrue(e.getMessage().contains("needs authentication (HTTP 401"), e.getMessage());
        assertTrue(e.getMessage().contains("set HF_TOKEN"), e.getMessage());

        CheckpointException wrong = assertThrows(CheckpointException.class,
                () -> resolver(Map.of("HF_TOKEN", "hf_bad")).resolve(ModelRef.parse("Org/gated", null), List.of()));
        assertTrue(wrong.getMessage().contains("has no access"), wrong.getMessage());

        CheckpointResolver.Resolved r = resolver(Map.of("HF_TOKEN", "hf_good"))
                .resolve(ModelRef.parse("Org/gated", null), List.of());
        assertTrue(Files.isRegularFile(r.file("config.json")));
    }

    @Test
    void offlineWithACacheMissSaysWhichModelIsMissingAndWhatToDo() {
        CheckpointException e = assertThrows(CheckpointException.class, () -> resolver(Map.of("HF_HUB_OFFLINE", "1"))
                .resolve(ModelRef.parse("Qwen/Qwen3-0.6B", null), List.of()));
        assertTrue(e.getMessage().startsWith("model Qwen/Qwen3-0.6B (revision main) is not in the Hugging Face cache"),
                e.getMessage());
        assertTrue(e.getMessage().contains("huggingface-cli download Qwen/Qwen3-0.6B"), e.getMessage());
        assertTrue(hub.requests.isEmpty(), "offline means no request at all");
    }

    @Test
    void aLocalDirectoryIsUsedAsItIsAndMustHoldAConfigAndWeights() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("my-model"));
        Files.writeString(dir.resolve("config.json"), "{}");
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> resolver(Map.of()).resolve(ModelRef.parse(dir.toString(), null), List.of()));
        assertTrue(e.getMessage().contains("has neither model.safetensors nor model.safetensors.index.json"), e.getMessage());
        Files.write(dir.resolve("model.safetensors"), new byte[8]);
        CheckpointResolver.Resolved r = resolver(Map.of()).resolve(ModelRef.parse(dir.toString(), null), List.of());
        assertEquals(dir, r.dir());
        assertEquals(List.of("model.safetensors"), r.weightFiles());
    }

    @Test
    void theEnvironmentIsReadAsHuggingfaceHubReadsIt() {
        Path home = Path.of("/home/u");
        HubEnvironment defaults = HubEnvironment.fromEnv(Map.of(), home);
        assertEquals(Path.of("/home/u/.cache/huggingface/hub"), defaults.cacheDir());
        assertEquals("https://huggingface.co", defaults.endpoint().toString());
        assertFalse(defaults.offline());
        Map<String, String> env = new HashMap<>();
        env.put("HF_HOME", "/data/hf");
        assertEquals(Path.of("/data/hf/hub"), HubEnvironment.fromEnv(env, home).cacheDir());
        env.put("HF_HUB_CACHE", "/fast/cache");
        env.put("HF_HUB_OFFLINE", "true");
        env.put("HF_ENDPOINT", "https://mirror.example/");
        HubEnvironment custom = HubEnvironment.fromEnv(env, home);
        assertEquals(Path.of("/fast/cache"), custom.cacheDir());
        assertTrue(custom.offline());
        assertEquals("https://mirror.example", custom.endpoint().toString());
        assertThrows(CheckpointException.class, () -> ModelRef.parse("../../etc", null));
        assertEquals(new ModelRef("Qwen/Qwen3-0.6B", "abc", null), ModelRef.parse("Qwen/Qwen3-0.6B@abc", null));
    }

    private CheckpointResolver resolver(Map<String, String> extra) {
        return new CheckpointResolver(env(extra), DownloadListener.NONE);
    }

    private HubEnvironment env(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(extra);
        env.put("HF_HOME", tmp.resolve("hf").toString());
        env.put("HF_ENDPOINT", hub.endpoint().toString());
        return HubEnvironment.fromEnv(env, tmp);
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}

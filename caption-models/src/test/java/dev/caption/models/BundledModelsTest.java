package dev.caption.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundledModelsTest {

    private static final Path SOURCES = Path.of("src/main/resources/dev/caption/models/bundled");

    @Test
    void theIndexListsEveryBundledFileWithItsSizeAndHash() throws IOException {
        Set<String> onDisk;
        try (Stream<Path> files = Files.walk(SOURCES)) {
            onDisk = files.filter(Files::isRegularFile).map(p -> SOURCES.relativize(p).toString().replace('\\', '/'))
                    .filter(p -> !p.equals("index.tsv")).collect(Collectors.toCollection(TreeSet::new));
        }
        List<BundledModels.Entry> index = BundledModels.index();
        assertEquals(onDisk, index.stream().map(BundledModels.Entry::path).collect(Collectors.toCollection(TreeSet::new)),
                "regenerate index.tsv with caption-models/update-index");
        for (BundledModels.Entry e : index) {
            Path p = SOURCES.resolve(e.path());
            assertEquals(e.size(), Files.size(p), e.path());
            assertEquals(e.sha256(), BundledModels.sha256(p), e.path());
        }
    }

    @Test
    void unpackWritesEveryFileOnceAndReusesACompleteCopy(@TempDir Path root) throws IOException {
        Path dir = BundledModels.unpack(root);
        for (BundledModels.Entry e : BundledModels.index()) {
            assertEquals(e.size(), Files.size(dir.resolve(e.path())), e.path());
        }
        assertTrue(Files.isRegularFile(dir.resolve(BundledModels.CLIP).resolve("config.json")));
        long before = Files.getLastModifiedTime(dir.resolve(BundledModels.LLM).resolve("model.safetensors")).toMillis();
        assertEquals(dir, BundledModels.unpack(root));
        assertEquals(before, Files.getLastModifiedTime(dir.resolve(BundledModels.LLM).resolve("model.safetensors")).toMillis());
        try (Stream<Path> left = Files.list(root)) {
            assertEquals(1, left.count(), "no temporary directory is left behind");
        }
    }
}

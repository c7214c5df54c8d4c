package dev.caption.nn.weights;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.caption.tensor.SafetensorsException;
import dev.caption.tensor.SafetensorsHeader;

/** The tensors of a checkpoint across its shard files, by name. */
public final class Checkpoint implements AutoCloseable {

    private final List<MappedSafetensors> files = new ArrayList<>();
    private final Map<String, Located> byName = new LinkedHashMap<>();

    record Located(MappedSafetensors file, SafetensorsHeader.Entry entry) {
    }

    private Checkpoint() {
    }

    /** Opens every weight file; a name present in two shards is an error. */
    public static Checkpoint open(Path dir, List<String> weightFiles) {
        Checkpoint c = new Checkpoint();
        try {
            for (String f : weightFiles) {
                MappedSafetensors file = MappedSafetensors.open(dir.resolve(f));
                c.files.add(file);
                for (SafetensorsHeader.Entry e : file.header().entries().values()) {
                    Located previous = c.byName.put(e.name(), new Located(file, e));
                    if (previous != null) {
                        throw new SafetensorsException("tensor " + e.name() + " is in both " + previous.file().path()
                                + " and " + file.path());
                    }
                }
            }
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    public Set<String> names() {
        return Collections.unmodifiableSet(byName.keySet());
    }

    Located locate(String name) {
        return byName.get(name);
    }

    @Override
    public void close() {
        files.forEach(MappedSafetensors::close);
    }
}

package dev.caption.adapter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Collectors;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import ai.djl.ndarray.NDManager;
import dev.caption.nn.Devices;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.adapter.AdapterSpec;

/**
 * Holds the adapters, one per modality (an image adapter, an audio adapter, or both: each directory of
 * {@code caption.adapter.path} holds one), and swaps in a new version of one without losing a record: batches run
 * under a read lock, and the swap takes the write lock, so it waits for the batch in flight to finish (drain), then
 * switches; the next batch uses the new version. Each batch's outputs and offsets are committed in one transaction,
 * whichever versions made them.
 */
@ApplicationScoped
public class AdapterModel {

    private static final Logger LOG = Logger.getLogger(AdapterModel.class);

    /** One directory's adapter and the version of its files it was loaded from. */
    private record Slot(Path dir, Adapter adapter, String version) {
    }

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private NDManager manager;
    /** By modality ({@code image}, {@code audio}), in the order of the configured directories. */
    private final Map<String, Slot> slots = new LinkedHashMap<>();

    /** The adapters a batch sees: the one for each modality served. */
    public interface Adapters {

        /** The adapter for features of {@code modality}; refused, naming what is served, when there is none. */
        Adapter forModality(String modality);
    }

    synchronized void load(AdapterConfig config) {
        if (!slots.isEmpty()) {
            return;
        }
        manager = NDManager.newBaseManager(Devices.parse(config.device()));
        for (Path dir : config.path()) {
            Adapter a = Adapter.load(dir, manager);
            String modality = a.spec().vision().modality();
            Slot taken = slots.get(modality);
            if (taken != null) {
                a.close();
                throw new IllegalArgumentException("caption.adapter.path: " + taken.dir() + " and " + dir + " both hold "
                        + modality + " adapters; serve one adapter per modality");
            }
            slots.put(modality, new Slot(dir, a, version(dir)));
            LOG.infof("loaded %s %s adapter %s (%d prefix tokens) from %s", modality, a.spec().strategy(), a.spec().id(),
                    a.prefixTokens(), dir);
        }
    }

    /** Runs {@code work} with the current adapters, which stay the current ones until work returns. */
    <T> T withAdapters(java.util.function.Function<Adapters, T> work) {
        lock.readLock().lock();
        try {
            Map<String, Slot> now = Map.copyOf(slots);
            return work.apply(modality -> {
                Slot s = now.get(modality);
                if (s == null) {
                    throw new IllegalArgumentException("no adapter for " + modality + " features here: this adapter-service "
                            + "serves " + describe(now) + "; add a directory with an " + modality
                            + " adapter to caption.adapter.path");
                }
                return s.adapter();
            });
        } finally {
            lock.readLock().unlock();
        }
    }

    private static String describe(Map<String, Slot> slots) {
        return slots.values().stream().map(s -> s.adapter().spec().vision().modality() + " (" + s.adapter().spec().id() + ")")
                .collect(Collectors.joining(" and "));
    }

    /** The adapter of {@code modality}, or null. */
    public Adapter current(String modality) {
        lock.readLock().lock();
        try {
            Slot s = slots.get(modality);
            return s == null ? null : s.adapter();
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Loads each directory's adapter again if its files changed since the last load, then switches to it once the
     * batch in flight is done. A version that does not load, or that is for another modality than the one it
     * replaces, is logged and the old one keeps serving.
     */
    void reloadChanged() {
        List<Slot> current;
        lock.readLock().lock();
        try {
            current = new ArrayList<>(slots.values());
        } finally {
            lock.readLock().unlock();
        }
        for (Slot slot : current) {
            reloadIfChanged(slot);
        }
    }

    private void reloadIfChanged(Slot slot) {
        String now = version(slot.dir());
        if (now.equals(slot.version())) {
            return;
        }
        String modality = slot.adapter().spec().vision().modality();
        Adapter next;
        try {
            next = Adapter.load(slot.dir(), manager);
            if (!next.spec().vision().modality().equals(modality)) {
                String other = next.spec().vision().modality();
                next.close();
                throw new IllegalArgumentException("it is now an " + other + " adapter, and " + slot.dir()
                        + " serves " + modality);
            }
        } catch (RuntimeException e) {
            LOG.errorf("adapter in %s changed but does not load (%s); still serving %s", slot.dir(), e.getMessage(),
                    slot.adapter().spec().id());
            replace(modality, new Slot(slot.dir(), slot.adapter(), now));
            return;
        }
        replace(modality, new Slot(slot.dir(), next, now));
        LOG.infof("switched %s adapter %s -> %s (%s, %d prefix tokens)", modality, slot.adapter().spec().id(),
                next.spec().id(), next.spec().strategy(), next.prefixTokens());
        slot.adapter().close();
    }

    private void replace(String modality, Slot slot) {
        lock.writeLock().lock();
        try {
            slots.put(modality, slot);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Sizes and modification times of both files: a new version changes at least one of them. */
    private static String version(Path dir) {
        StringBuilder sb = new StringBuilder();
        for (String f : new String[] {AdapterSpec.JSON, AdapterSpec.WEIGHTS}) {
            try {
                Path p = dir.resolve(f);
                sb.append(Files.size(p)).append('@').append(Files.getLastModifiedTime(p).toMillis()).append(';');
            } catch (IOException e) {
                sb.append("missing;");
            }
        }
        return sb.toString();
    }

    @PreDestroy
    void close() {
        slots.values().forEach(s -> s.adapter().close());
        slots.clear();
        if (manager != null) {
            manager.close();
        }
    }
}

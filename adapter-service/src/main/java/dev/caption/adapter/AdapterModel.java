package dev.caption.adapter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import ai.djl.ndarray.NDManager;
import dev.caption.nn.Devices;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.adapter.AdapterSpec;

/**
 * Holds the adapter, and swaps in a new version without losing a record: batches run under a read lock, and the
 * swap takes the write lock, so it waits for the batch in flight to finish (drain), then switches; the next batch
 * uses the new version. Each batch's outputs and offsets are committed in one transaction, whichever version made
 * them.
 */
@ApplicationScoped
public class AdapterModel {

    private static final Logger LOG = Logger.getLogger(AdapterModel.class);

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private NDManager manager;
    private volatile Adapter adapter;
    private volatile String version = "";

    synchronized Adapter load(AdapterConfig config) {
        if (adapter == null) {
            manager = NDManager.newBaseManager(Devices.parse(config.device()));
            adapter = Adapter.load(config.path(), manager);
            version = version(config.path());
            LOG.infof("loaded %s adapter %s (%d prefix tokens) from %s", adapter.spec().strategy(), adapter.spec().id(),
                    adapter.prefixTokens(), config.path());
        }
        return adapter;
    }

    /** Runs {@code work} with the current adapter, which stays the current one until work returns. */
    <T> T withAdapter(java.util.function.Function<Adapter, T> work) {
        lock.readLock().lock();
        try {
            return work.apply(adapter);
        } finally {
            lock.readLock().unlock();
        }
    }

    public Adapter current() {
        return adapter;
    }

    /**
     * Loads the adapter in {@code path} if its files changed since the last load, then switches to it once the batch
     * in flight is done. A version that does not load is logged and the old one keeps serving.
     */
    void reloadIfChanged(Path path) {
        String now = version(path);
        if (now.equals(version)) {
            return;
        }
        Adapter next;
        try {
            next = Adapter.load(path, manager);
        } catch (RuntimeException e) {
            LOG.errorf("adapter in %s changed but does not load (%s); still serving %s", path, e.getMessage(),
                    adapter.spec().id());
            version = now;
            return;
        }
        Adapter old;
        lock.writeLock().lock();
        try {
            old = adapter;
            adapter = next;
            version = now;
        } finally {
            lock.writeLock().unlock();
        }
        LOG.infof("switched adapter %s -> %s (%s, %d prefix tokens)", old.spec().id(), next.spec().id(),
                next.spec().strategy(), next.prefixTokens());
        old.close();
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
        if (adapter != null) {
            adapter.close();
        }
        if (manager != null) {
            manager.close();
        }
    }
}

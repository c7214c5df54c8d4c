package dev.caption.adapter;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/** An adapter on disk before the service starts (it loads one at startup). */
public final class AdapterResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        TestAdapters.write("avgpool-v1", "avgpool", 1);
        return Map.of("caption.adapter.path", TestAdapters.DIR.toString());
    }

    @Override
    public void stop() {
    }
}

package dev.caption.nn.hub;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Where and how to reach the Hugging Face hub, read from the same environment variables huggingface_hub uses,
 * so that a cache Python users already have is found and reused.
 *
 * @param endpoint hub base URL ({@code HF_ENDPOINT}, default https://huggingface.co)
 * @param cacheDir the hub cache ({@code HF_HUB_CACHE}, else {@code HF_HOME/hub}, else ~/.cache/huggingface/hub)
 * @param offline  {@code HF_HUB_OFFLINE} is set to a true value: never touch the network
 * @param token    {@code HF_TOKEN}, sent as a bearer token
 */
public record HubEnvironment(URI endpoint, Path cacheDir, boolean offline, Optional<String> token) {

    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    public static HubEnvironment fromSystem() {
        return fromEnv(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /** The environment as huggingface_hub reads it (constants.py), with {@code home} as the user's home. */
    public static HubEnvironment fromEnv(Map<String, String> env, Path home) {
        String endpoint = nonBlank(env.get("HF_ENDPOINT")).orElse(DEFAULT_ENDPOINT);
        Path hfHome = nonBlank(env.get("HF_HOME")).map(Path::of)
                .orElseGet(() -> nonBlank(env.get("XDG_CACHE_HOME")).map(Path::of).orElse(home.resolve(".cache"))
                        .resolve("huggingface"));
        Path cache = nonBlank(env.get("HF_HUB_CACHE")).map(Path::of)
                .or(() -> nonBlank(env.get("HUGGINGFACE_HUB_CACHE")).map(Path::of))
                .orElse(hfHome.resolve("hub"));
        boolean offline = isTrue(env.get("HF_HUB_OFFLINE"));
        Optional<String> token = nonBlank(env.get("HF_TOKEN")).or(() -> nonBlank(env.get("HUGGING_FACE_HUB_TOKEN")));
        return new HubEnvironment(URI.create(endpoint.replaceAll("/+$", "")), cache, offline, token);
    }

    private static boolean isTrue(String v) {
        return v != null && switch (v.trim().toUpperCase(Locale.ROOT)) {
            case "1", "ON", "YES", "TRUE" -> true;
            default -> false;
        };
    }

    private static Optional<String> nonBlank(String v) {
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }
}

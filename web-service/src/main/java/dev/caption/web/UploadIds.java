package dev.caption.web;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Image ids for uploads, and the rules for ids a page asks about. An upload's id is its file name's stem, reduced to
 * letters, digits, '.', '_' and '-' and at most 64 characters, then '-' and the first 8 hex digits of the SHA-256 of
 * its bytes: readable, safe in a URL and a header, and distinct for different images with one name.
 */
final class UploadIds {

    static final int MAX_ID_LENGTH = 128;
    private static final int MAX_STEM = 64;

    private UploadIds() {
    }

    static String of(String fileName, byte[] bytes) {
        String name = fileName == null ? "" : fileName;
        // a browser may send a path (C:\fakepath\x.jpg); only the last segment names the image
        name = name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
        int dot = name.lastIndexOf('.');
        String stem = (dot > 0 ? name.substring(0, dot) : name).replaceAll("[^A-Za-z0-9._-]+", "-")
                .replaceAll("^[-.]+|-+$", "");
        if (stem.length() > MAX_STEM) {
            stem = stem.substring(0, MAX_STEM);
        }
        String hash = sha256(bytes).substring(0, 8);
        return stem.isEmpty() ? "image-" + hash : stem + "-" + hash;
    }

    /**
     * The ids of {@code ?ids=a,b}, or an empty set for none (everything).
     *
     * @throws IllegalArgumentException naming the first id that is too long or has control characters
     */
    static Set<String> parse(String ids) {
        Set<String> out = new LinkedHashSet<>();
        if (ids == null || ids.isBlank()) {
            return out;
        }
        for (String raw : ids.split(",")) {
            String id = raw.strip();
            if (id.isEmpty()) {
                continue;
            }
            if (id.length() > MAX_ID_LENGTH) {
                throw new IllegalArgumentException("an id in ids is longer than " + MAX_ID_LENGTH + " characters");
            }
            if (id.chars().anyMatch(Character::isISOControl)) {
                throw new IllegalArgumentException("an id in ids contains control characters");
            }
            out.add(id);
        }
        return out;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

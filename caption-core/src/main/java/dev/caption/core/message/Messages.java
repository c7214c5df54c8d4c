package dev.caption.core.message;

/** Validation helpers shared by the message records. */
final class Messages {

    /** Ids are record keys: non-empty, no control characters, bounded. */
    static final int MAX_ID_LENGTH = 1024;

    private Messages() {
    }

    static void requireId(String id, String type) {
        require(id != null && !id.isBlank(), type + " has no id");
        require(id.length() <= MAX_ID_LENGTH, type + " id is longer than " + MAX_ID_LENGTH + " characters");
        require(id.chars().noneMatch(Character::isISOControl), type + " id contains control characters");
    }

    /**
     * The one key rule of every stage: a record's key is the image id of its payload. A record with no key, or
     * with a key that differs from the id the payload names, is malformed (its references could never meet it in
     * a co-partitioned join, and a re-keyed copy would break per-image order).
     */
    static void requireKey(String key, String payloadId, String what) {
        if (key == null) {
            throw new MalformedMessageException(what + (payloadId == null ? "" : " '" + payloadId + "'")
                    + " has no record key; the key must be the image id");
        }
        if (payloadId != null && !payloadId.equals(key)) {
            throw new MalformedMessageException(what + " id '" + payloadId + "' does not match the record key '" + key + "'");
        }
    }

    static void require(boolean condition, String reason) {
        if (!condition) {
            throw new MalformedMessageException(reason);
        }
    }
}

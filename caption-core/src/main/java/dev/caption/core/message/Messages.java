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

    static void require(boolean condition, String reason) {
        if (!condition) {
            throw new MalformedMessageException(reason);
        }
    }
}

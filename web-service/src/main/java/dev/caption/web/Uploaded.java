package dev.caption.web;

import java.util.List;

/** What POST /api/images published: the image ids, in upload order, and how many carried references. */
public record Uploaded(List<String> ids, int withReferences) {
}

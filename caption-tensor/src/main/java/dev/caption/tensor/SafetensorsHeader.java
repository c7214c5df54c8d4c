package dev.caption.tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The parsed and validated JSON header of a safetensors file or blob.
 *
 * <p>The header is untrusted input. Everything a reader needs before touching data is checked here: the header is
 * a JSON object, every entry has a known dtype, a shape of non-negative dimensions whose byte size does not
 * overflow, and data offsets that lie inside the data section, match the shape, and cover the data section
 * without holes or overlaps (the safetensors rules). Offsets are {@code long}, so the same header serves
 * memory-mapped files over 2 GB.
 */
public record SafetensorsHeader(Map<String, String> metadata, Map<String, Entry> entries) {

    /** The header key that holds the string-to-string metadata map. */
    public static final String METADATA_KEY = "__metadata__";
    /** A tensor may have at most this many dimensions. */
    public static final int MAX_RANK = 16;

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8).build())
            .build());

    /** One tensor's header entry; offsets are relative to the start of the data section. */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        public long byteLength() {
            return end - begin;
        }
    }

    public SafetensorsHeader {
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    /**
     * Parses and validates a header.
     *
     * @param headerBytes the JSON bytes (after the 8-byte length, including any space padding)
     * @param dataLength  the number of bytes after the header
     */
    public static SafetensorsHeader parse(byte[] headerBytes, long dataLength) {
        if (headerBytes.length == 0 || headerBytes[0] != '{') {
            throw new SafetensorsException("safetensors header does not start with '{'");
        }
        JsonNode root;
        try (JsonParser parser = JSON.createParser(headerBytes)) {
            root = JSON.readTree(parser);
            if (parser.nextToken() != null) {
                throw new SafetensorsException("safetensors header has trailing content after the JSON object");
            }
        } catch (IOException e) {
            throw new SafetensorsException("safetensors header is not valid JSON: " + firstLine(e.getMessage()), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException("safetensors header is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (METADATA_KEY.equals(field.getKey())) {
                readMetadata(field.getValue(), metadata);
            } else {
                Entry entry = readEntry(field.getKey(), field.getValue(), dataLength);
                entries.put(entry.name(), entry);
            }
        }
        checkCoverage(entries, dataLength);
        return new SafetensorsHeader(metadata, entries);
    }

    /** Serialises a header for the given entries (offsets already assigned), as compact JSON. */
    static byte[] toJson(Map<String, String> metadata, List<Entry> entries) {
        Map<String, Object> root = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            root.put(METADATA_KEY, metadata);
        }
        for (Entry e : entries) {
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", e.dtype().safetensorsName());
            info.put("shape", e.shape());
            info.put("data_offsets", new long[] {e.begin(), e.end()});
            root.put(e.name(), info);
        }
        try {
            return JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SafetensorsException("cannot write safetensors header", e);
        }
    }

    private static void readMetadata(JsonNode node, Map<String, String> metadata) {
        if (!node.isObject()) {
            throw new SafetensorsException("safetensors __metadata__ is not an object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getValue().isTextual()) {
                throw new SafetensorsException("safetensors __metadata__ value for '" + m.getKey()
                        + "' is not a string");
            }
            metadata.put(m.getKey(), m.getValue().textValue());
        }
    }

    private static Entry readEntry(String name, JsonNode node, long dataLength) {
        String where = "safetensors tensor '" + name + "'";
        if (!node.isObject()) {
            throw new SafetensorsException(where + " is not an object");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String key = names.next();
            if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
                throw new SafetensorsException(where + " has an unknown field '" + key + "'");
            }
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new SafetensorsException(where + " has no dtype");
        }
        DType dtype = DType.fromSafetensorsName(dtypeNode.textValue()).orElseThrow(() ->
                new SafetensorsException(where + " has unknown dtype '" + dtypeNode.textValue() + "' (known: "
                        + Arrays.toString(DType.values()) + ")"));
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new SafetensorsException(where + " has no shape array");
        }
        if (shapeNode.size() > MAX_RANK) {
            throw new SafetensorsException(where + " has rank " + shapeNode.size() + " (at most " + MAX_RANK + ")");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.longValue() < 0) {
                throw new SafetensorsException(where + " has an invalid dimension " + d + " in its shape");
            }
            shape[i] = d.longValue();
        }
        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2
                || !offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()
                || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()) {
            throw new SafetensorsException(where + " needs data_offsets [begin, end] as two integers");
        }
        long begin = offsets.get(0).longValue();
        long end = offsets.get(1).longValue();
        if (begin < 0 || end < begin || end > dataLength) {
            throw new SafetensorsException(where + " has data_offsets [" + begin + ", " + end
                    + "] outside the data section of " + dataLength + " bytes");
        }
        long needed;
        try {
            needed = Safetensors.byteLength(dtype, shape);
        } catch (ArithmeticException e) {
            throw new SafetensorsException(where + " has a shape " + Arrays.toString(shape)
                    + " whose byte size overflows");
        }
        if (needed != end - begin) {
            throw new SafetensorsException(where + ": " + dtype + Arrays.toString(shape) + " needs " + needed
                    + " bytes but data_offsets span " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static void checkCoverage(Map<String, Entry> entries, long dataLength) {
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long cursor = 0;
        for (Entry e : sorted) {
            if (e.begin() != cursor) {
                throw new SafetensorsException("safetensors tensor '" + e.name() + "' starts at " + e.begin()
                        + (e.begin() < cursor ? ", overlapping the previous tensor" : ", leaving a hole")
                        + " (expected " + cursor + ")");
            }
            cursor = e.end();
        }
        if (cursor != dataLength) {
            throw new SafetensorsException("safetensors data section has " + dataLength
                    + " bytes but the tensors cover " + cursor);
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}

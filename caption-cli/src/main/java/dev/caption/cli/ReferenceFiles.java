package dev.caption.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;

import dev.caption.core.message.Json;
import dev.caption.core.message.References;

/**
 * Reads reference captions, grouped per image id (the image file name without its extension):
 * <ul>
 *   <li>{@code .jsonl}: {@code {"id": ..., "references": [...]}}, or one caption per line as
 *   {@code {"id"|"image": ..., "caption": ...}};</li>
 *   <li>{@code .csv} / Flickr8k's {@code captions.txt}: a header {@code image,caption}, one caption per row;</li>
 *   <li>Flickr8k's {@code Flickr8k.token.txt}: {@code name.jpg#N<TAB>caption}.</li>
 * </ul>
 */
public final class ReferenceFiles {

    private static final Pattern TOKEN_LINE = Pattern.compile("^([^\\t#]+)#\\d+\\t(.*)$");

    private ReferenceFiles() {
    }

    public static List<References> read(Path file) {
        Map<String, List<String>> byId = new LinkedHashMap<>();
        try {
            String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
            if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
                readJsonl(file, byId);
            } else if (looksLikeFlickrTokens(file)) {
                readTokens(file, byId);
            } else {
                readCsv(file, byId);
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("references file not found: " + file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read references file " + file + ": " + e.getMessage());
        }
        List<References> out = new ArrayList<>();
        byId.forEach((id, refs) -> out.add(new References(id, refs)));
        return out;
    }

    private static void readJsonl(Path file, Map<String, List<String>> byId) throws IOException {
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = Json.MAPPER.readTree(line);
                } catch (IOException e) {
                    throw new IllegalArgumentException(file + " line " + lineNo + " is not valid JSON");
                }
                String id = text(node, "id") != null ? text(node, "id") : imageId(text(node, "image"));
                if (id == null) {
                    throw new IllegalArgumentException(file + " line " + lineNo + " has no \"id\" or \"image\"");
                }
                if (node.has("references") && node.get("references").isArray()) {
                    node.get("references").forEach(r -> add(byId, id, r.asText()));
                } else if (text(node, "caption") != null) {
                    add(byId, id, text(node, "caption"));
                } else {
                    throw new IllegalArgumentException(file + " line " + lineNo
                            + " has neither \"references\" nor \"caption\"");
                }
            }
        }
    }

    private static boolean looksLikeFlickrTokens(Path file) throws IOException {
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String first = reader.readLine();
            return first != null && TOKEN_LINE.matcher(first).matches();
        }
    }

    private static void readTokens(Path file, Map<String, List<String>> byId) throws IOException {
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            Matcher m = TOKEN_LINE.matcher(line);
            if (!m.matches()) {
                throw new IllegalArgumentException(file + " line " + lineNo + " is not 'image.jpg#N<TAB>caption'");
            }
            add(byId, imageId(m.group(1)), m.group(2));
        }
    }

    private static void readCsv(Path file, Map<String, List<String>> byId) throws IOException {
        CsvMapper csv = new CsvMapper();
        csv.enable(CsvParser.Feature.TRIM_SPACES);
        CsvSchema schema = CsvSchema.emptySchema().withHeader();
        try (MappingIterator<Map<String, String>> rows = csv.readerFor(Map.class).with(schema).readValues(file.toFile())) {
            int row = 1;
            while (rows.hasNext()) {
                row++;
                Map<String, String> r = rows.next();
                String image = r.getOrDefault("image", r.get("id"));
                String caption = r.get("caption");
                if (image == null || caption == null) {
                    throw new IllegalArgumentException(file + " row " + row + " needs 'image' (or 'id') and 'caption' "
                            + "columns; the header is " + r.keySet());
                }
                add(byId, imageId(image), caption);
            }
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException) {
                throw e;
            }
            throw new IllegalArgumentException("malformed CSV in " + file + ": " + e.getMessage());
        }
    }

    private static void add(Map<String, List<String>> byId, String id, String caption) {
        String c = caption.strip();
        if (!c.isEmpty()) {
            byId.computeIfAbsent(id, k -> new ArrayList<>()).add(c);
        }
    }

    private static String imageId(String image) {
        return image == null ? null : ImageInputs.stripExtension(image.strip());
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}

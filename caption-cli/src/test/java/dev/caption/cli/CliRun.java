package dev.caption.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.caption.core.message.Json;

/** One in-process {@code caption} run with its exit status and what it wrote to picocli's out and err writers. */
public record CliRun(int status, String out, String err) {

    public static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status;
        try (PrintWriter o = new PrintWriter(out, true); PrintWriter e = new PrintWriter(err, true)) {
            status = CaptionCli.run(o, e, args);
        }
        return new CliRun(status, out.toString(), err.toString());
    }

    public List<JsonNode> jsonLines() {
        return out.lines().map(l -> {
            try {
                return Json.MAPPER.readTree(l);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + l, e);
            }
        }).toList();
    }
}

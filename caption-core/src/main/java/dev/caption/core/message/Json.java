package dev.caption.core.message;

import java.io.IOException;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The one JSON mapper for captions, references and scores. Unknown fields are ignored (forward compatible). */
public final class Json {

    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();

    private Json() {
    }

    public static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    public static String writeString(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /** Parses JSON into a record; malformed input or a failed validation becomes a clear MalformedMessageException. */
    public static <T> T read(byte[] bytes, Class<T> type) {
        if (bytes == null) {
            throw new MalformedMessageException(type.getSimpleName() + " record has no value (tombstone?)");
        }
        try {
            return MAPPER.readValue(bytes, type);
        } catch (com.fasterxml.jackson.databind.exc.ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new MalformedMessageException("invalid " + type.getSimpleName() + ": " + cause.getMessage(), e);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new MalformedMessageException("malformed " + type.getSimpleName() + " JSON: "
                    + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new MalformedMessageException("unreadable " + type.getSimpleName() + " JSON: " + e.getMessage(), e);
        }
    }
}

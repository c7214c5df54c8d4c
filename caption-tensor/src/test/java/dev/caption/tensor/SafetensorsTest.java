package dev.caption.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class SafetensorsTest {

    @Test
    void roundTripsF32F16AndIntegerTensorsWithMetadata() {
        float[] values = {0f, 1f, -2.5f, 3.14159f, 1e-3f, 65504f};
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("b.features", Tensor.ofFloats(DType.F16, new long[] {2, 3}, values));
        tensors.put("a.exact", Tensor.ofFloats(DType.F32, new long[] {3, 2}, values));
        tensors.put("ids", Tensor.ofLongs(new long[] {4}, new long[] {151644, -1, 0, Long.MAX_VALUE}));
        tensors.put("scalar", Tensor.ofFloats(DType.F32, new long[] {}, new float[] {42f}));
        Map<String, String> meta = Map.of("model", "openai/clip-vit-base-patch32", "layer", "-2");

        byte[] blob = Safetensors.encode(tensors, meta);
        SafetensorsBlob decoded = Safetensors.decode(blob);

        assertEquals(meta, decoded.metadata());
        assertEquals(tensors.keySet(), decoded.tensors().keySet());
        assertArrayEquals(values, decoded.tensor("a.exact").toFloats());
        float[] half = decoded.tensor("b.features").toFloats();
        for (int i = 0; i < values.length; i++) {
            assertEquals(values[i], half[i], Math.abs(values[i]) * 1e-3 + 1e-7, "fp16 value " + i);
        }
        assertArrayEquals(new long[] {151644, -1, 0, Long.MAX_VALUE}, decoded.tensor("ids").toLongs());
        assertArrayEquals(new long[] {}, decoded.tensor("scalar").shape());
        assertEquals(42f, decoded.tensor("scalar").toFloats()[0]);
        assertEquals(tensors.get("b.features"), decoded.tensor("b.features"));
    }

    @Test
    void writesTheStandardLayoutWithAHeaderPaddedToEightBytes() {
        byte[] blob = Safetensors.encode(Map.of("x", Tensor.ofFloats(DType.F32, new long[] {1}, new float[] {1f})));
        long headerLength = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, headerLength % 8);
        String header = new String(blob, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"), header);
        assertEquals(8 + headerLength + 4, blob.length);
    }

    @Test
    void readsAFileWrittenByPythonSafetensors() throws IOException {
        byte[] file;
        try (InputStream in = getClass().getResourceAsStream("/fixtures/clip-tiny-model.safetensors")) {
            file = in.readAllBytes();
        }
        SafetensorsBlob blob = Safetensors.decode(file, 100 << 20);
        assertEquals("pt", blob.metadata().get("format"));
        assertEquals(94, blob.tensors().size());
        Tensor pos = blob.tensor("text_model.embeddings.position_embedding.weight");
        assertEquals(DType.F32, pos.dtype());
        assertArrayEquals(new long[] {77, 32}, pos.shape());
    }

    @Test
    void rejectsBlobsShorterThanTheLengthPrefix() {
        assertMalformed(new byte[5], "shorter than its 8-byte header length");
        assertMalformed(null, "missing");
    }

    @Test
    void rejectsHeaderLengthsThatAreZeroNegativeHugeOrBeyondTheBlob() {
        assertMalformed(withHeaderLength(0, "{}"), "outside 1..");
        assertMalformed(withHeaderLength(-8, "{}"), "outside 1..");
        assertMalformed(withHeaderLength(Long.MAX_VALUE, "{}"), "outside 1..");
        assertMalformed(withHeaderLength(4096, "{}"), "exceeds the");
        byte[] big = withHeaderLength(2 << 20, "{}");
        assertMalformed(big, "outside 1..");
    }

    @Test
    void rejectsHeadersThatAreNotAJsonObject() {
        assertMalformed(blob("[1,2]", 0), "does not start with '{'");
        assertMalformed(blob("{\"a\": ", 0), "not valid JSON");
        assertMalformed(blob("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "not valid JSON");
        assertMalformed(blob("{\"__metadata__\":{\"k\":1}}", 0), "is not a string");
        assertMalformed(blob("{} {}", 0), "trailing content");
    }

    @Test
    void rejectsUnknownDtypes() {
        assertMalformed(blob("{\"x\":{\"dtype\":\"F8_E4M3X\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2),
                "unknown dtype 'F8_E4M3X'");
    }

    @Test
    void rejectsOffsetsOutsideTheDataSection() {
        assertMalformed(blob("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4),
                "outside the data section");
        assertMalformed(blob("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8),
                "outside the data section");
        assertMalformed(blob("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 8),
                "outside the data section");
        assertMalformed(blob("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4),
                "data_offsets [begin, end]");
    }

    @Test
    void rejectsTruncatedData() {
        byte[] good = Safetensors.encode(Map.of("x", Tensor.ofFloats(DType.F32, new long[] {16}, new float[16])));
        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 5);
        assertMalformed(truncated, "outside the data section");
    }

    @Test
    void rejectsAbsurdShapesBeforeAllocatingAnything() {
        assertMalformed(blob("{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],"
                + "\"data_offsets\":[0,4]}}", 4), "overflows");
        assertMalformed(blob("{\"x\":{\"dtype\":\"F32\",\"shape\":[1000000,1000000],\"data_offsets\":[0,4]}}", 4),
                "needs 4000000000000 bytes");
        assertMalformed(blob("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4),
                "invalid dimension");
        assertMalformed(blob("{\"x\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4),
                "invalid dimension");
        assertMalformed(blob("{\"x\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999999],"
                + "\"data_offsets\":[0,4]}}", 4), "invalid dimension");
        assertMalformed(blob("{\"x\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],"
                + "\"data_offsets\":[0,4]}}", 4), "rank 17");
    }

    @Test
    void rejectsOverlapsHolesAndUncoveredBytes() {
        assertMalformed(blob("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "overlapping");
        assertMalformed(blob("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "hole");
        assertMalformed(blob("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8), "cover 4");
    }

    @Test
    void corruptedBlobsFailWithASafetensorsExceptionAndNothingElse() {
        Map<String, Tensor> tensors = Map.of(
                "features", Tensor.ofFloats(DType.F16, new long[] {7, 5}, new float[35]),
                "ids", Tensor.ofLongs(new long[] {3}, new long[] {1, 2, 3}));
        byte[] good = Safetensors.encode(tensors, Map.of("id", "img-1"));
        SplittableRandom random = new SplittableRandom(2026);
        int rejected = 0;
        for (int i = 0; i < 5000; i++) {
            byte[] bad = good.clone();
            int flips = 1 + random.nextInt(4);
            for (int f = 0; f < flips; f++) {
                int at = random.nextInt(Math.min(bad.length, 8 + 200));
                bad[at] = (byte) random.nextInt(256);
            }
            if (random.nextInt(4) == 0) {
                bad = java.util.Arrays.copyOf(bad, random.nextInt(bad.length));
            }
            try {
                Safetensors.decode(bad);
            } catch (SafetensorsException e) {
                rejected++;
            } catch (RuntimeException | Error e) {
                fail("mutation " + i + " escaped as " + e, e);
            }
        }
        assertTrue(rejected > 1000, "most mutations are rejected, got " + rejected);
    }

    private static void assertMalformed(byte[] blob, String expectedFragment) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Safetensors.decode(blob));
        assertTrue(e.getMessage().contains(expectedFragment),
                "expected '" + expectedFragment + "' in: " + e.getMessage());
    }

    private static byte[] blob(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return b.array();
    }

    private static byte[] withHeaderLength(long length, String header) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(length).put(h);
        return b.array();
    }

    @Test
    void nanAndInfinitiesAreCountedFromTheBitsInEveryFloatDtype() {
        float[] v = {1, Float.NaN, Float.POSITIVE_INFINITY, -0f, Float.NEGATIVE_INFINITY, Float.NaN, 65504f, -2.5f};
        for (DType d : new DType[] {DType.F32, DType.F16, DType.BF16}) {
            Tensor.NonFinite c = Tensor.ofFloats(d, new long[] {2, 4}, v).nonFinite();
            org.junit.jupiter.api.Assertions.assertEquals(new Tensor.NonFinite(2, 2), c, d.toString());
        }
        org.junit.jupiter.api.Assertions.assertTrue(Tensor.ofFloats(DType.F16, new long[] {3}, new float[] {0, 1, -1})
                .nonFinite().none());
        // beyond F16's range a finite float is an infinity on the wire
        org.junit.jupiter.api.Assertions.assertEquals(new Tensor.NonFinite(0, 1),
                Tensor.ofFloats(DType.F16, new long[] {1}, new float[] {1e6f}).nonFinite());
        org.junit.jupiter.api.Assertions.assertTrue(Tensor.ofLongs(new long[] {2}, new long[] {-1, 0x7FF0_0000_0000_0001L})
                .nonFinite().none(), "integers are never NaN");
    }
}

package dev.caption.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Safetensors as a wire format: an 8-byte little-endian header length, a JSON header padded with spaces to a
 * multiple of 8, then the tensors' bytes in name order. Python reads these blobs with
 * {@code safetensors.torch.load(bytes)}.
 *
 * <p>{@link #decode} runs on untrusted bytes: the header length is bounded, the header is validated by
 * {@link SafetensorsHeader} before anything is allocated, and tensors are views of the input array (no copy).
 */
public final class Safetensors {

    /** Default bound on the JSON header of a wire blob; tensors on the wire have few entries. */
    public static final int DEFAULT_MAX_HEADER_BYTES = 1 << 20;

    private Safetensors() {
    }

    /** Encodes tensors (data written in name order) with optional metadata. */
    public static byte[] encode(Map<String, Tensor> tensors, Map<String, String> metadata) {
        TreeMap<String, Tensor> sorted = new TreeMap<>(tensors);
        List<SafetensorsHeader.Entry> entries = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, Tensor> e : sorted.entrySet()) {
            Tensor t = e.getValue();
            long end = offset + t.byteLength();
            entries.add(new SafetensorsHeader.Entry(e.getKey(), t.dtype(), t.shape(), offset, end));
            offset = end;
        }
        byte[] header = SafetensorsHeader.toJson(metadata, entries);
        int padded = (header.length + 7) & ~7;
        long total = 8L + padded + offset;
        if (total > Integer.MAX_VALUE - 8) {
            throw new SafetensorsException("a safetensors blob of " + total + " bytes does not fit in one array");
        }
        ByteBuffer out = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded);
        out.put(header);
        for (int i = header.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        for (Tensor t : sorted.values()) {
            out.put(t.data());
        }
        return out.array();
    }

    public static byte[] encode(Map<String, Tensor> tensors) {
        return encode(tensors, Map.of());
    }

    public static SafetensorsBlob decode(byte[] blob) {
        return decode(blob, DEFAULT_MAX_HEADER_BYTES);
    }

    /** Decodes and validates a blob; tensors share {@code blob}'s memory. */
    public static SafetensorsBlob decode(byte[] blob, int maxHeaderBytes) {
        if (blob == null) {
            throw new SafetensorsException("safetensors blob is missing (null)");
        }
        if (blob.length < 8) {
            throw new SafetensorsException("safetensors blob of " + blob.length
                    + " bytes is shorter than its 8-byte header length");
        }
        ByteBuffer buffer = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buffer.getLong(0);
        if (headerLength <= 0 || headerLength > maxHeaderBytes) {
            throw new SafetensorsException("safetensors header length " + Long.toUnsignedString(headerLength)
                    + " is outside 1.." + maxHeaderBytes);
        }
        if (headerLength > blob.length - 8L) {
            throw new SafetensorsException("safetensors header length " + headerLength + " exceeds the "
                    + (blob.length - 8) + " bytes after it (truncated blob?)");
        }
        int dataStart = 8 + (int) headerLength;
        SafetensorsHeader header = SafetensorsHeader.parse(
                Arrays.copyOfRange(blob, 8, dataStart), blob.length - (long) dataStart);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (SafetensorsHeader.Entry e : header.entries().values()) {
            ByteBuffer slice = ByteBuffer.wrap(blob, dataStart + (int) e.begin(), (int) e.byteLength()).slice();
            tensors.put(e.name(), Tensor.of(e.dtype(), e.shape(), slice));
        }
        return new SafetensorsBlob(header.metadata(), tensors);
    }

    /** Number of elements, with overflow checking (a scalar, shape [], has one). */
    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Byte size of a tensor, with overflow checking. */
    public static long byteLength(DType dtype, long[] shape) {
        return Math.multiplyExact(elementCount(shape), (long) dtype.byteSize());
    }
}

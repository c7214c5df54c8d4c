package dev.caption.nn.weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import dev.caption.tensor.SafetensorsException;
import dev.caption.tensor.SafetensorsHeader;

/**
 * A safetensors file read through memory maps: the header is parsed and validated ({@link SafetensorsHeader},
 * {@code long} offsets, so files over 2 GB work), and each tensor is mapped on demand, never copied into the heap
 * (DJL's {@code NDList.decode} reads whole files into one {@code byte[]} and caps at 2 GB).
 */
public final class MappedSafetensors implements AutoCloseable {

    /** huggingface safetensors' own header limit. */
    public static final long MAX_HEADER_BYTES = 100L << 20;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final SafetensorsHeader header;

    private MappedSafetensors(Path path, FileChannel channel, long dataStart, SafetensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.header = header;
    }

    public static MappedSafetensors open(Path path) {
        FileChannel channel = null;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
            long size = channel.size();
            if (size < 8) {
                throw new SafetensorsException(path + " is " + size + " bytes, too short for a safetensors file");
            }
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, len, 0);
            long headerLength = len.getLong(0);
            if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || headerLength > size - 8) {
                throw new SafetensorsException(path + ": header length " + Long.toUnsignedString(headerLength)
                        + " is invalid for a file of " + size + " bytes");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, headerBytes, 8);
            SafetensorsHeader header;
            try {
                header = SafetensorsHeader.parse(headerBytes.array(), size - 8 - headerLength);
            } catch (SafetensorsException e) {
                throw new SafetensorsException(path + ": " + e.getMessage(), e);
            }
            return new MappedSafetensors(path, channel, 8 + headerLength, header);
        } catch (NoSuchFileException e) {
            closeQuietly(channel);
            throw new SafetensorsException("weights file not found: " + path, e);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new SafetensorsException("cannot read " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    public SafetensorsHeader header() {
        return header;
    }

    /** The tensor's bytes, memory-mapped, little-endian. The mapping lives as long as the returned buffer. */
    public ByteBuffer map(SafetensorsHeader.Entry entry) {
        if (entry.byteLength() > Integer.MAX_VALUE) {
            throw new SafetensorsException(path + ": tensor " + entry.name() + " is over 2 GB, more than one buffer holds");
        }
        try {
            MappedByteBuffer buffer = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + entry.begin(), entry.byteLength());
            return buffer.order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new SafetensorsException("cannot map " + entry.name() + " of " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long pos = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
            pos += n;
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
    }
}

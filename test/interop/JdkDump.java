/*
 * JDK-only reader for DL4J ModelSerializer archives (no DL4J on the classpath).
 *
 *   java test/interop/JdkDump.java MODE ARCHIVE
 *
 * MODE zipfile   : java.util.zip.ZipFile + getEntry(name), as DL4J <= 1.0.0-beta6
 *                  and addObjectToFile/getObjectFromFile/listObjectsInFile do.
 * MODE zipstream : ZipInputStream reading every entry into a HashMap<String,byte[]>,
 *                  rejecting directory entries, as DL4J 1.0.0-beta7 and later restore
 *                  does (a later duplicate name replaces an earlier one).
 *
 * Then coefficients.bin and updaterState.bin (when present) are parsed with
 * DataInputStream as ND4J array records (FORMAT.md section B) and printed:
 *
 *   entry <name> <uncompressed-size>                 one line per entry, archive order
 *   array <entry> mode=<ALLOCMODE> dtype=<DTYPE> shape=<d0,...> strides=<s0,...> order=<c|f>
 *   <one line per element: lowercase hex of the element's raw big-endian bytes,
 *    zero-padded to the element width, in C (row-major) logical order computed
 *    from shape and strides>
 *
 * Rank 0 prints empty "shape=" and "strides=".  Archive order is central-directory
 * order for zipfile and local-header order for zipstream.  Any parse error prints
 * "JdkDump: error: ..." to stderr and exits 1.  Notes (e.g. trailing bytes after a
 * record) go to stderr and do not change the exit status.
 */

import java.io.BufferedWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

public class JdkDump {

    static final class DumpError extends Exception {
        DumpError(String m) { super(m); }
    }

    /** One data-buffer record (B.3). */
    static final class Buf {
        String mode;
        String type;
        long length;
        byte[] data;      // raw element bytes, big-endian, buffer order
        int width;
        boolean missing;  // no record at all (empty array written without data record)
    }

    static final String[] MODES = {"DIRECT", "HEAP", "JAVACPP", "LONG_SHAPE", "MIXED_DATA_TYPES"};

    static int width(String type) throws DumpError {
        switch (type) {
            case "DOUBLE": case "LONG": case "UINT64": return 8;
            case "FLOAT": case "INT": case "UINT32": return 4;
            case "HALF": case "BFLOAT16": case "SHORT": case "UINT16": return 2;
            case "BYTE": case "UBYTE": case "BOOL": return 1;
            default: throw new DumpError("unsupported data type '" + type + "'");
        }
    }

    static boolean intLength(String mode) throws DumpError {
        switch (mode) {
            case "DIRECT": case "HEAP": case "JAVACPP": return true;
            case "LONG_SHAPE": case "MIXED_DATA_TYPES": return false;
            default: throw new DumpError("unknown allocation mode '" + mode + "'");
        }
    }

    static void readFully(DataInputStream in, byte[] b, String what) throws IOException, DumpError {
        try {
            in.readFully(b);
        } catch (EOFException e) {
            throw new DumpError("truncated " + what);
        }
    }

    /** Reads one data-buffer record; allowMissing: return a Buf with missing=true at clean EOF. */
    static Buf readBuffer(DataInputStream in, String what, boolean allowMissing) throws IOException, DumpError {
        Buf b = new Buf();
        in.mark(1);
        if (allowMissing && in.read() == -1) {
            b.missing = true;
            return b;
        }
        in.reset();
        try {
            b.mode = in.readUTF();
            boolean il = intLength(b.mode);
            b.length = il ? in.readInt() : in.readLong();
            b.type = in.readUTF();
        } catch (EOFException e) {
            throw new DumpError("truncated " + what + " header");
        }
        if (b.length < 0) throw new DumpError(what + ": negative length " + b.length);
        if (b.type.equals("COMPRESSED")) return readCompressed(in, b, what);
        if (b.type.equals("UTF8")) throw new DumpError(what + ": UTF8 buffers cannot be read (DL4J cannot either)");
        b.width = width(b.type);
        if (b.length > Integer.MAX_VALUE / b.width) throw new DumpError(what + ": length " + b.length + " too large");
        b.data = new byte[(int) (b.length * b.width)];
        readFully(in, b.data, what + " data (" + b.length + " x " + b.type + ")");
        return b;
    }

    /** COMPRESSED buffers (B.10): only the GZIP codec is defined byte-for-byte. */
    static Buf readCompressed(DataInputStream in, Buf outer, String what) throws IOException, DumpError {
        try {
            String algo = in.readUTF();
            long compressedLength = in.readLong();
            long originalLength = in.readLong();
            long numElements = in.readLong();
            if (outer.mode.equals("MIXED_DATA_TYPES")) in.readInt(); // ordinal of the original DataType
            if (compressedLength < 0 || compressedLength > Integer.MAX_VALUE) {
                throw new DumpError(what + ": bad compressed length " + compressedLength);
            }
            byte[] c = new byte[(int) compressedLength];
            readFully(in, c, what + " compressed data");
            if (!algo.equals("GZIP")) throw new DumpError(what + ": unsupported compression algorithm " + algo);
            byte[] raw;
            try (GZIPInputStream gz = new GZIPInputStream(new ByteArrayInputStream(c))) {
                raw = gz.readAllBytes();
            }
            DataInputStream inner = new DataInputStream(new ByteArrayInputStream(raw));
            Buf b = readBuffer(inner, what + " (decompressed)", false);
            if (b.length != numElements) {
                throw new DumpError(what + ": decompressed length " + b.length + " != " + numElements);
            }
            if (originalLength < 0) throw new DumpError(what + ": bad original length");
            b.mode = outer.mode;
            return b;
        } catch (EOFException e) {
            throw new DumpError("truncated " + what + " compression header");
        }
    }

    static long getLong(Buf b, int i) {
        long v = 0;
        for (int k = 0; k < b.width; k++) v = (v << 8) | (b.data[i * b.width + k] & 0xff);
        if (b.width == 4) v = (int) v; // sign-extend INT
        return v;
    }

    static String join(long[] v, int from, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) sb.append(',');
            sb.append(v[from + i]);
        }
        return sb.toString();
    }

    static void dumpArray(String entry, byte[] bytes, BufferedWriter out) throws IOException, DumpError {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        Buf shapeBuf = readBuffer(in, entry + " shape-info buffer", false);
        if (!shapeBuf.type.equals("INT") && !shapeBuf.type.equals("LONG")) {
            throw new DumpError(entry + ": shape-info buffer has type " + shapeBuf.type + " (expected INT or LONG)");
        }
        int n = (int) shapeBuf.length;
        long[] info = new long[n];
        for (int i = 0; i < n; i++) info[i] = getLong(shapeBuf, i);
        if (n < 4) throw new DumpError(entry + ": shape-info buffer too short (" + n + ")");
        long rankL = info[0];
        if (rankL < 0 || rankL > 32) throw new DumpError(entry + ": bad rank " + rankL);
        int rank = (int) rankL;
        if (n != 2 * rank + 4) {
            throw new DumpError(entry + ": shape-info length " + n + " != 2*rank+4 = " + (2 * rank + 4));
        }
        long extras = info[2 * rank + 1];
        long orderCode = info[2 * rank + 3];
        char order;
        if (orderCode == 99) order = 'c';
        else if (orderCode == 102) order = 'f';
        else throw new DumpError(entry + ": bad order code " + orderCode);
        long[] shape = new long[rank], strides = new long[rank];
        long count = 1;
        for (int i = 0; i < rank; i++) {
            shape[i] = info[1 + i];
            strides[i] = info[1 + rank + i];
            if (shape[i] < 0) throw new DumpError(entry + ": negative dimension " + shape[i]);
            count = Math.multiplyExact(count, shape[i]);
        }
        boolean longEra = shapeBuf.type.equals("LONG");
        boolean emptyFlag = longEra && (extras & 8) != 0;

        Buf data = readBuffer(in, entry + " data buffer", count == 0 && emptyFlag);
        int trailing = in.available();
        if (trailing > 0) System.err.println("JdkDump: note: " + entry + ": " + trailing + " trailing bytes after the array record");

        String mode = data.missing ? shapeBuf.mode : data.mode;
        String dtype;
        if (data.missing) {
            dtype = typeFromExtras(extras);
        } else {
            dtype = data.type;
            if (data.length != count) {
                throw new DumpError(entry + ": data length " + data.length + " != product of shape " + count);
            }
        }
        out.write("array " + entry + " mode=" + mode + " dtype=" + dtype + " shape=" + join(shape, 0, rank)
                + " strides=" + join(strides, 0, rank) + " order=" + order + "\n");
        if (count == 0) return;

        long[] idx = new long[rank];
        char[] hex = "0123456789abcdef".toCharArray();
        char[] line = new char[2 * data.width + 1];
        line[line.length - 1] = '\n';
        for (long e = 0; e < count; e++) {
            long pos = 0;
            for (int k = 0; k < rank; k++) pos += idx[k] * strides[k];
            if (pos < 0 || pos >= data.length) {
                throw new DumpError(entry + ": element offset " + pos + " outside buffer of " + data.length
                        + " (shape " + join(shape, 0, rank) + ", strides " + join(strides, 0, rank) + ")");
            }
            int off = (int) pos * data.width;
            for (int k = 0; k < data.width; k++) {
                int v = data.data[off + k] & 0xff;
                line[2 * k] = hex[v >> 4];
                line[2 * k + 1] = hex[v & 15];
            }
            out.write(line);
            for (int k = rank - 1; k >= 0; k--) {
                if (++idx[k] < shape[k]) break;
                idx[k] = 0;
            }
        }
    }

    static String typeFromExtras(long x) {
        if ((x & 4) != 0) return "COMPRESSED";
        if ((x & 4096) != 0) return "HALF";
        if ((x & 2048) != 0) return "BFLOAT16";
        if ((x & 8192) != 0) return "FLOAT";
        if ((x & 16384) != 0) return "DOUBLE";
        boolean u = (x & 8388608) != 0;
        if ((x & 131072) != 0) return u ? "UINT32" : "INT";
        if ((x & 262144) != 0) return u ? "UINT64" : "LONG";
        if ((x & 524288) != 0) return "BOOL";
        if ((x & 32768) != 0) return u ? "UBYTE" : "BYTE";
        if ((x & 65536) != 0) return u ? "UINT16" : "SHORT";
        if ((x & 1048576) != 0) return "UTF8";
        return "UNKNOWN";
    }

    public static void main(String[] args) {
        if (args.length != 2 || !(args[0].equals("zipfile") || args[0].equals("zipstream"))) {
            System.err.println("usage: java JdkDump.java zipfile|zipstream ARCHIVE");
            System.exit(2);
        }
        try {
            BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
            List<String> names = new ArrayList<>();
            List<Long> sizes = new ArrayList<>();
            Map<String, byte[]> content = new HashMap<>();
            if (args[0].equals("zipfile")) {
                try (ZipFile zf = new ZipFile(args[1])) {
                    for (ZipEntry e : Collections.list(zf.entries())) {
                        byte[] b;
                        try (InputStream in = zf.getInputStream(e)) {
                            b = in.readAllBytes();
                        }
                        names.add(e.getName());
                        sizes.add((long) b.length);
                    }
                    for (String want : new String[] {"coefficients.bin", "updaterState.bin"}) {
                        ZipEntry e = zf.getEntry(want);
                        if (e == null) continue;
                        try (InputStream in = zf.getInputStream(e)) {
                            content.put(want, in.readAllBytes());
                        }
                    }
                }
            } else {
                try (ZipInputStream zin = new ZipInputStream(new FileInputStream(args[1]))) {
                    ZipEntry e;
                    while ((e = zin.getNextEntry()) != null) {
                        if (e.isDirectory()) {
                            throw new DumpError("directory entry '" + e.getName() + "' (DL4J beta7+ rejects archives with directories)");
                        }
                        ByteArrayOutputStream bos = new ByteArrayOutputStream();
                        zin.transferTo(bos);
                        byte[] b = bos.toByteArray();
                        names.add(e.getName());
                        sizes.add((long) b.length);
                        content.put(e.getName(), b);
                    }
                }
            }
            for (int i = 0; i < names.size(); i++) out.write("entry " + names.get(i) + " " + sizes.get(i) + "\n");
            for (String want : new String[] {"coefficients.bin", "updaterState.bin"}) {
                byte[] b = content.get(want);
                if (b == null) continue;
                if (b.length == 0) {
                    System.err.println("JdkDump: note: " + want + " is empty" + (content.containsKey("noParams.marker")
                            || names.contains("noParams.marker") ? " (noParams.marker present)" : ""));
                    continue;
                }
                dumpArray(want, b, out);
            }
            out.flush();
        } catch (DumpError e) {
            System.out.flush();
            System.err.println("JdkDump: error: " + e.getMessage());
            System.exit(1);
        } catch (Exception e) {
            System.out.flush();
            System.err.println("JdkDump: error: " + e);
            System.exit(1);
        }
    }
}

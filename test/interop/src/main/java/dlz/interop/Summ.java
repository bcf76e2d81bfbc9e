package dlz.interop;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Array summaries ("array summary" objects of the expected.json format) and
 * small byte/hex utilities shared by Generate and Verify.
 */
public final class Summ {
    private Summ() {}

    /** Summaries of arrays longer than this carry sample_hex instead of values_hex (updater only). */
    public static final int FULL_VALUES_LIMIT = 4096;
    public static final int SAMPLE_VALUES = 64;

    public static String dl4jVersion() {
        try (InputStream in = Summ.class.getResourceAsStream(
                "/META-INF/maven/org.deeplearning4j/deeplearning4j-nn/pom.properties")) {
            if (in == null) return "unknown";
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    public static int width(String dtype) {
        switch (dtype) {
            case "DOUBLE": case "LONG": case "UINT64": return 8;
            case "FLOAT": case "INT": case "UINT32": return 4;
            case "HALF": case "BFLOAT16": case "SHORT": case "UINT16": return 2;
            case "BYTE": case "UBYTE": case "BOOL": return 1;
            default: throw new IllegalArgumentException("unsupported dtype " + dtype);
        }
    }

    /**
     * Raw big-endian element bytes of {@code a} in C (row-major) logical order,
     * exactly as ND4J's own DataBuffer.write emits them (so HALF etc. use ND4J's
     * own conversion).
     */
    public static byte[] cBytes(INDArray a) {
        long n = a.length();
        String dt = a.dataType().name();
        int w = width(dt);
        if (n == 0) return new byte[0];
        INDArray c = a.dup('c');
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (DataOutputStream dos = new DataOutputStream(bos)) {
            c.data().write(dos);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        byte[] all = bos.toByteArray();
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(all));
            String mode = in.readUTF();
            long len;
            if (mode.equals("DIRECT") || mode.equals("HEAP") || mode.equals("JAVACPP")) len = in.readInt();
            else len = in.readLong();
            String type = in.readUTF();
            if (!type.equals(dt)) throw new IllegalStateException("buffer type " + type + " != " + dt);
            if (len != n) throw new IllegalStateException("buffer length " + len + " != array length " + n);
            byte[] out = new byte[(int) (n * w)];
            in.readFully(out);
            if (in.read() != -1) throw new IllegalStateException("trailing bytes in buffer record");
            return out;
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** True for the floating-point data types, whose computed values may differ between CPUs. */
    public static boolean isFloating(String dtype) {
        return dtype.equals("DOUBLE") || dtype.equals("FLOAT") || dtype.equals("HALF") || dtype.equals("BFLOAT16");
    }

    public static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length * 2);
        for (byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 15, 16));
            sb.append(Character.forDigit(x & 15, 16));
        }
        return sb.toString();
    }

    public static byte[] unhex(String s) {
        if (s.length() % 2 != 0) throw new IllegalArgumentException("odd hex length");
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    public static String sha256(byte[] b) {
        try {
            return hex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new RuntimeException(e);
        }
    }

    public static List<Object> longs(long[] v) {
        List<Object> l = new ArrayList<>();
        for (long x : v) l.add(x);
        return l;
    }

    /**
     * Array summary: dtype, shape, order, length, values_hex (or sample_hex when
     * limitValues and the length exceeds FULL_VALUES_LIMIT), sha256.
     */
    public static Map<String, Object> summary(INDArray a, boolean limitValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (a == null) return null;
        String dt = a.dataType().name();
        byte[] b = cBytes(a);
        m.put("dtype", dt);
        m.put("shape", longs(a.shape()));
        m.put("order", String.valueOf(a.ordering()));
        m.put("length", a.length());
        if (limitValues && a.length() > FULL_VALUES_LIMIT) {
            int w = width(dt);
            byte[] s = new byte[SAMPLE_VALUES * w];
            System.arraycopy(b, 0, s, 0, s.length);
            m.put("sample_hex", hex(s));
        } else {
            m.put("values_hex", hex(b));
        }
        m.put("sha256", sha256(b));
        return m;
    }

    public static Map<String, Object> summary(INDArray a) {
        return summary(a, false);
    }

    public static List<Object> summaries(INDArray[] arr) {
        List<Object> l = new ArrayList<>();
        for (INDArray a : arr) l.add(summary(a));
        return l;
    }

    /** Hex of a double's IEEE bits (16 lowercase hex digits). */
    public static String dbits(double d) {
        return String.format("%016x", Double.doubleToRawLongBits(d));
    }

    public static String fbits(float f) {
        return String.format("%08x", Float.floatToRawIntBits(f));
    }

    /** A double field: {"value": number-or-null, "bits": hex}. */
    public static Map<String, Object> dfield(double d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("value", d);
        m.put("bits", dbits(d));
        return m;
    }

    static float halfToFloat(int h) {
        int s = (h >> 15) & 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
        float v;
        if (e == 0) v = (float) (f * Math.pow(2, -24));
        else if (e == 31) v = f == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        else v = (float) ((1 + f / 1024.0) * Math.pow(2, e - 15));
        return s == 1 ? -v : v;
    }

    static long[] cStrides(long[] shape) {
        long[] st = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = acc;
            acc *= Math.max(1, shape[i]);
        }
        return st;
    }

    /** Rebuilds an INDArray (C order) from an array summary that has values_hex. */
    public static INDArray fromSummary(Map<String, Object> s) {
        String dt = (String) s.get("dtype");
        List<?> shl = (List<?>) s.get("shape");
        long[] shape = new long[shl.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = ((Number) shl.get(i)).longValue();
        byte[] b = unhex((String) s.get("values_hex"));
        int w = width(dt);
        int n = b.length / w;
        ByteBuffer bb = ByteBuffer.wrap(b); // big-endian
        long[] st = cStrides(shape);
        switch (dt) {
            case "DOUBLE": {
                double[] v = new double[n];
                for (int i = 0; i < n; i++) v[i] = bb.getDouble();
                return Nd4j.create(v, shape, st, 'c', DataType.DOUBLE);
            }
            case "FLOAT": {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) v[i] = bb.getFloat();
                return Nd4j.create(v, shape, st, 'c', DataType.FLOAT);
            }
            case "HALF": {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) v[i] = halfToFloat(bb.getShort() & 0xffff);
                return Nd4j.create(v, shape, st, 'c', DataType.FLOAT).castTo(DataType.HALF);
            }
            case "INT": {
                int[] v = new int[n];
                for (int i = 0; i < n; i++) v[i] = bb.getInt();
                return Nd4j.create(v, shape, st, 'c', DataType.INT);
            }
            case "LONG": {
                long[] v = new long[n];
                for (int i = 0; i < n; i++) v[i] = bb.getLong();
                return Nd4j.create(v, shape, st, 'c', DataType.LONG);
            }
            default:
                throw new IllegalArgumentException("fromSummary: unsupported dtype " + dt);
        }
    }

    /** Number of elements whose bytes differ, and the first such index, as text. */
    public static String firstDiff(String hexA, String hexB, int width) {
        int n = Math.min(hexA.length(), hexB.length()) / (2 * width);
        int count = 0, first = -1;
        for (int i = 0; i < n; i++) {
            String x = hexA.substring(2 * width * i, 2 * width * (i + 1));
            String y = hexB.substring(2 * width * i, 2 * width * (i + 1));
            if (!x.equals(y)) {
                if (first < 0) first = i;
                count++;
            }
        }
        if (first < 0) return "lengths differ (" + hexA.length() / 2 + " vs " + hexB.length() / 2 + " bytes)";
        return count + " of " + n + " elements differ, first at index " + first + ": got "
                + hexA.substring(2 * width * first, 2 * width * (first + 1)) + " expected "
                + hexB.substring(2 * width * first, 2 * width * (first + 1));
    }

    static BigInteger big(Object o) {
        return new BigInteger(o.toString());
    }
}

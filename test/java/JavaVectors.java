/*
 * JDK-only reference for libdlz's Java module (src/java.c): what the JDK itself
 * computes, one vector a line on standard output (ASCII), for test_java.c to
 * compare element by element.
 *
 *   java --add-opens java.base/java.util=ALL-UNNAMED -cp DIR JavaVectors
 *
 * Lines (fields separated by one space; "u:" tokens are UTF-16 units in hex
 * joined by '.', "-" for none; "b:" tokens are bytes in hex, "-" for none):
 *   map NAME BUCKETS THRESHOLD N K1 .. KN ORDER1 .. ORDERN
 *       a HashMap<Integer, Integer> (or a HashSet<Integer> for NAME set-*)
 *       filled by put(Ki) in order: table length, threshold field, and the
 *       iteration order as positions 0..N-1 of the keys
 *   smap NAME BUCKETS THRESHOLD N U1 .. UN ORDER1 .. ORDERN
 *       the same with String keys (u: tokens)
 *   ser NAME N T1 .. TN BYTES
 *       ObjectOutputStream.writeObject of a HashMap (LinkedHashMap for NAME
 *       linked-*) with keys T1..TN put in order, each with the Integer value
 *       of its position; T is N (null), I:dec, L:dec, S:dec (Short),
 *       B:dec (Byte), C:hex (Character), Z:0|1, F:hex bits, D:hex bits,
 *       U:units (String), A:dec (an ArrayList holding that one Integer),
 *       M:- (an empty HashMap)
 *   strhash UNITS HASH          String.hashCode() (unsigned decimal)
 *   hash TYPE VALUE HASH        hashCode() of Integer (I), Long (L),
 *                               Double (D, bits), Float (F, bits), Boolean (Z)
 *   strcmp UNITS UNITS SIGN     String.compareTo() as -1, 0, 1
 *   dcmp BITS BITS SIGN         Double.compare(); fcmp: Float.compare()
 *   max BITS BITS BITS          Math.max(double, double) (bits, hex)
 *   writeutf UNITS BYTES|error  DataOutputStream.writeUTF() (with its length)
 *   readutf BYTES UNITS|error   DataInputStream.readUTF() of those bytes
 *                               (length prefix included)
 *   utf8 BYTES CODEPOINTS|error a strict UTF-8 decoder (REPORT), code points
 *                               in hex joined by '.'
 *   wtf8 BYTES CODEPOINTS LONE  a String with lone surrogates as UTF-8 with
 *                               3-byte surrogates, its code points
 *                               (String.codePoints()), 1 if it has a lone
 *                               surrogate
 */

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.PrintWriter;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

public class JavaVectors {

    static PrintWriter out;

    static String units(String s) {
        if (s.isEmpty()) {
            return "-";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            b.append(i > 0 ? "." : "").append(Integer.toHexString(s.charAt(i)));
        }
        return b.toString();
    }

    static String bytes(byte[] a) {
        if (a.length == 0) {
            return "-";
        }
        StringBuilder b = new StringBuilder();
        for (byte x : a) {
            b.append(String.format("%02x", x & 0xff));
        }
        return b.toString();
    }

    static byte[] unhex(String h) {
        byte[] a = new byte[h.length() / 2];
        for (int i = 0; i < a.length; i++) {
            a[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        }
        return a;
    }

    static int tableLength(Object m) throws Exception {
        Field t = HashMap.class.getDeclaredField("table");
        t.setAccessible(true);
        Object[] table = (Object[]) t.get(m);
        return table == null ? 16 : table.length;
    }

    static int threshold(Object m) throws Exception {
        Field t = HashMap.class.getDeclaredField("threshold");
        t.setAccessible(true);
        return t.getInt(m);
    }

    /* The iteration order of the keys as positions in the insertion order. */
    static <K> String order(Iterable<K> iteration, List<K> keys) {
        Map<K, Integer> pos = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            pos.put(keys.get(i), i);
        }
        StringBuilder b = new StringBuilder();
        for (K k : iteration) {
            b.append(' ').append(pos.get(k));
        }
        return b.toString();
    }

    static void intMap(String name, List<Integer> keys) throws Exception {
        StringBuilder b = new StringBuilder("map " + name);
        String ord;
        Object table;
        if (name.startsWith("set-")) {
            HashSet<Integer> s = new HashSet<>();
            for (Integer k : keys) {
                s.add(k);
            }
            Field f = HashSet.class.getDeclaredField("map");
            f.setAccessible(true);
            table = f.get(s);
            ord = order(s, keys);
        } else {
            HashMap<Integer, Integer> m = new HashMap<>();
            for (int i = 0; i < keys.size(); i++) {
                m.put(keys.get(i), i);
            }
            table = m;
            ord = order(m.keySet(), keys);
        }
        b.append(' ').append(tableLength(table)).append(' ').append(threshold(table));
        b.append(' ').append(keys.size());
        for (Integer k : keys) {
            b.append(' ').append(k);
        }
        out.println(b.append(ord));
    }

    static void strMap(String name, List<String> keys) throws Exception {
        HashMap<String, Integer> m = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            m.put(keys.get(i), i);
        }
        StringBuilder b = new StringBuilder("smap " + name);
        b.append(' ').append(tableLength(m)).append(' ').append(threshold(m));
        b.append(' ').append(keys.size());
        for (String k : keys) {
            b.append(' ').append(units(k));
        }
        out.println(b.append(order(m.keySet(), keys)));
    }

    static String token(Object k) {
        if (k == null) {
            return "N";
        } else if (k instanceof Integer) {
            return "I:" + k;
        } else if (k instanceof Long) {
            return "L:" + k;
        } else if (k instanceof Short) {
            return "S:" + k;
        } else if (k instanceof Byte) {
            return "B:" + k;
        } else if (k instanceof Character) {
            return "C:" + Integer.toHexString((Character) k);
        } else if (k instanceof Boolean) {
            return "Z:" + ((Boolean) k ? 1 : 0);
        } else if (k instanceof Float) {
            return "F:" + Integer.toHexString(Float.floatToRawIntBits((Float) k));
        } else if (k instanceof Double) {
            return "D:" + Long.toHexString(Double.doubleToRawLongBits((Double) k));
        } else if (k instanceof String) {
            return "U:" + units((String) k);
        } else if (k instanceof ArrayList && ((ArrayList<?>) k).size() == 1) {
            return "A:" + ((ArrayList<?>) k).get(0);
        } else if (k instanceof HashMap && ((HashMap<?, ?>) k).isEmpty()) {
            return "M:-";
        }
        throw new IllegalArgumentException("no token for " + k);
    }

    static void ser(String name, List<Object> keys) throws IOException {
        HashMap<Object, Object> m = name.startsWith("linked-") ? new LinkedHashMap<>()
                                                              : new HashMap<>();
        StringBuilder b = new StringBuilder("ser " + name + " " + keys.size());
        for (int i = 0; i < keys.size(); i++) {
            m.put(keys.get(i), i);
            b.append(' ').append(token(keys.get(i)));
        }
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ObjectOutputStream o = new ObjectOutputStream(bos)) {
            o.writeObject(m);
        }
        out.println(b.append(' ').append(bytes(bos.toByteArray())));
    }

    static List<Integer> range(int n, int step) {
        List<Integer> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(i * step);
        }
        return l;
    }

    /* Every string of k blocks "Aa" or "BB": all have the same hashCode(). */
    static List<String> sameHash(int k) {
        List<String> l = new ArrayList<>();
        for (int bits = 0; bits < (1 << k); bits++) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < k; i++) {
                b.append((bits >> i & 1) != 0 ? "BB" : "Aa");
            }
            l.add(b.toString());
        }
        return l;
    }

    static void maps() throws Exception {
        for (int n : new int[] {0, 1, 11, 12, 13, 24, 25, 48, 49, 96, 97, 192, 193, 1000, 5000}) {
            intMap("seq-" + n, range(n, 1));
        }
        int[][] steps = {{16, 9}, {16, 10}, {16, 20}, {32, 9}, {32, 12}, {64, 8}, {64, 9},
                         {64, 12}, {64, 30}, {128, 40}, {256, 100}, {1024, 50}, {65536, 20},
                         {-64, 30}, {1 << 20, 40}};
        for (int[] s : steps) {
            intMap("step-" + s[0] + "x" + s[1], range(s[1], s[0]));
        }
        /* equal buckets, different hashes: (i << 16 | i) spreads to i << 16 */
        List<Integer> high = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            high.add(i << 16 | i);
            high.add(-(i << 16 | i) - 1);
        }
        intMap("high", high);
        /* trees that split on resize: colliding keys among ordinary ones */
        Random r = new Random(20260107);
        for (int round = 0; round < 6; round++) {
            List<Integer> mixed = new ArrayList<>();
            int coll = 10 + r.nextInt(60), other = r.nextInt(400);
            int step = 64 << r.nextInt(4);
            for (int i = 0; i < coll + other; i++) {
                boolean c = r.nextInt(coll + other) < coll;
                mixed.add(c ? (mixed.size() + 1) * step : r.nextInt());
            }
            intMap("mixed-" + round, new ArrayList<>(new java.util.LinkedHashSet<>(mixed)));
            List<Integer> rev = new ArrayList<>(new java.util.LinkedHashSet<>(mixed));
            Collections.reverse(rev);
            intMap("mixed-rev-" + round, rev);
        }
        List<Integer> rnd = new ArrayList<>();
        java.util.Set<Integer> seen = new HashSet<>();
        while (rnd.size() < 3000) {
            int k = r.nextInt();
            if (seen.add(k)) {
                rnd.add(k);
            }
        }
        intMap("random", rnd);
        /* HashSet<Integer> as DL4J's graph code fills it */
        intMap("set-succ", List.of(5, 21, 37, 53, 69, 85, 101, 117, 133, 149, 3));
        intMap("set-seq", range(70, 1));
        intMap("set-step", range(20, 128));

        for (int k : new int[] {4, 5, 6}) {
            List<String> s = sameHash(k);
            strMap("same-" + k, s);
            List<String> rev = new ArrayList<>(s);
            Collections.reverse(rev);
            strMap("same-rev-" + k, rev);
            List<String> sh = new ArrayList<>(s);
            Collections.shuffle(sh, new Random(k));
            strMap("same-shuffled-" + k, sh);
        }
        List<String> withOthers = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            withOthers.add("key" + i);
            if (i % 3 == 0) {
                withOthers.add(sameHash(4).get(i / 3 % 16));
            }
        }
        strMap("same-among-others", new ArrayList<>(new java.util.LinkedHashSet<>(withOthers)));
        strMap("unicode", List.of("", "a", "\u00e9", "\u20ac", "\ud83d\ude00", "\ud800",
                                  "\udc00x", "\uffff", "\ue000", "\u0000", "\ud800\udc00"));
        List<String> keys100 = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            keys100.add("key" + i);
        }
        strMap("key100", keys100);
    }

    static void serMaps() throws IOException {
        /* Every key has hashCode() 2112 ("Aa"), so all share a bucket: a tree
           once the table has 64 buckets, ordered by compareTo() within a
           class and by class name across classes. */
        List<Object> mixed = new ArrayList<>();
        mixed.add("Aa");
        mixed.add(2112);
        mixed.add(2112L);
        mixed.add((short) 2112);
        mixed.add((char) 2112);
        mixed.add(Float.intBitsToFloat(2112));
        mixed.add(Double.longBitsToDouble(2112L));
        mixed.add("BB");
        mixed.add("@\u0080");
        for (long a = 1; a <= 6; a++) {
            mixed.add(a << 32 | (2112 ^ a));
        }
        mixed.add(new ArrayList<>(List.of(2081)));
        for (int i = 1; i < 60; i++) {
            mixed.add(2112 + 4096 * i); /* the same bucket up to 4096 buckets */
        }
        ser("mixed-classes", mixed);
        List<Object> rev = new ArrayList<>(mixed);
        Collections.reverse(rev);
        ser("mixed-classes-rev", rev);
        /* null (hash 0) against Integer 0 in a tree */
        List<Object> nul = new ArrayList<>();
        nul.add(0);
        for (int i = 1; i < 12; i++) {
            nul.add(i * 64);
        }
        nul.add(null);
        nul.add(64 * 100);
        ser("null-in-tree", nul);
        List<Object> nulFirst = new ArrayList<>(nul);
        Collections.reverse(nulFirst);
        ser("null-in-tree-rev", nulFirst);
        List<Object> steps = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            steps.add(i * 64);
        }
        ser("linked-treeified", steps);
        ser("treeified", steps);
        List<Object> booleans = new ArrayList<>(List.of(true, false, 1231, 1237, 'x', (byte) 3));
        ser("small", booleans);
        /* hashCode() 0 in every class that has it (null, zeros, "", "\0",
           an empty HashMap): one tree bucket ordered by null first, class
           names and compareTo(); the other keys grow the table to 128 */
        List<Object> zeros = new ArrayList<>(List.of(0, 0L, 0.0, 0.0f, (short) 0, (byte) 0,
                                                     (char) 0, "", "\u0000", "\u0000\u0000",
                                                     new HashMap<>(), -0.0));
        zeros.add(null);
        for (int i = 1; i <= 60; i++) {
            zeros.add(i);
        }
        ser("zero-hashes", zeros);
        List<Object> zerosRev = new ArrayList<>(zeros);
        Collections.reverse(zerosRev);
        ser("zero-hashes-rev", zerosRev);
        for (int seed = 1; seed <= 4; seed++) {
            List<Object> sh = new ArrayList<>(zeros.subList(0, 13));
            Collections.shuffle(sh, new Random(seed));
            sh.addAll(zeros.subList(13, zeros.size()));
            ser("zero-hashes-shuffled-" + seed, sh);
        }
    }

    static void hashes() {
        String[] strs = {"", "a", "Aa", "BB", "\u0000", "\u0000\u0000", "\ud83d\ude00", "\ud800",
                         "\udc00", "\udc00\ud800", "\uffff", "\ue000", "\udbff\udfff",
                         "polygenelubricants", "hello world \u00e9\u20ac", "Lorem ipsum dolor "
                         + "sit amet, consectetur adipiscing elit, sed do eiusmod tempor"};
        for (String s : strs) {
            out.println("strhash " + units(s) + " " + Integer.toUnsignedString(s.hashCode()));
        }
        for (int v : new int[] {0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, 2112}) {
            out.println("hash I " + v + " " + Integer.toUnsignedString(Integer.hashCode(v)));
        }
        for (long v : new long[] {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 32 | 5}) {
            out.println("hash L " + v + " " + Integer.toUnsignedString(Long.hashCode(v)));
        }
        long[] dbits = {0, 0x8000000000000000L, 0x3ff0000000000000L, 0x7ff8000000000000L,
                        0x7ff0000000000001L, 0xfff8000000000123L, 0x7ff0000000000000L, 1};
        for (long bits : dbits) {
            double d = Double.longBitsToDouble(bits);
            out.println("hash D " + Long.toHexString(bits) + " "
                        + Integer.toUnsignedString(Double.hashCode(d)));
        }
        int[] fbits = {0, 0x80000000, 0x3f800000, 0x7fc00000, 0x7f800001, 0xffc00123, 1};
        for (int bits : fbits) {
            float f = Float.intBitsToFloat(bits);
            out.println("hash F " + Integer.toHexString(bits) + " "
                        + Integer.toUnsignedString(Float.hashCode(f)));
        }
        out.println("hash Z 1 " + Boolean.hashCode(true));
        out.println("hash Z 0 " + Boolean.hashCode(false));
        String[] cmp = {"", "a", "b", "ab", "Aa", "BB", "\ue000", "\ud83d\ude00", "\uffff",
                        "\ud800", "a\u0000", "\u0000"};
        for (String a : cmp) {
            for (String b : cmp) {
                out.println("strcmp " + units(a) + " " + units(b) + " "
                            + Integer.signum(a.compareTo(b)));
            }
        }
        for (long a : dbits) {
            for (long b : dbits) {
                double x = Double.longBitsToDouble(a), y = Double.longBitsToDouble(b);
                out.println("dcmp " + Long.toHexString(a) + " " + Long.toHexString(b) + " "
                            + Integer.signum(Double.compare(x, y)));
                out.println("max " + Long.toHexString(a) + " " + Long.toHexString(b) + " "
                            + Long.toHexString(Double.doubleToRawLongBits(Math.max(x, y))));
            }
        }
        for (int a : fbits) {
            for (int b : fbits) {
                float x = Float.intBitsToFloat(a), y = Float.intBitsToFloat(b);
                out.println("fcmp " + Integer.toHexString(a) + " " + Integer.toHexString(b) + " "
                            + Integer.signum(Float.compare(x, y)));
            }
        }
    }

    static String codePoints(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(c -> b.append(b.length() > 0 ? "." : "")
                                     .append(Integer.toHexString(c)));
        return b.length() == 0 ? "-" : b.toString();
    }

    static void text() throws IOException {
        StringBuilder big = new StringBuilder();
        while (big.length() < 33000) {
            big.append("\u20ac\u0000a");
        }
        String[] strs = {"", "a", "\u0000", "\u007f\u0080\u07ff\u0800\uffff", "\ud83d\ude00",
                         "\ud800", "\udc00\ud800", "x\udbff", "h\u00e9llo \u2713 end",
                         "\ud7ff\ue000\udbff\udfff", big.toString(),
                         big.substring(0, 32767), big.substring(0, 32768)};
        for (String s : strs) {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            String res;
            try (DataOutputStream o = new DataOutputStream(bos)) {
                o.writeUTF(s);
                o.flush();
                res = bytes(bos.toByteArray());
            } catch (IOException e) {
                res = "error";
            }
            out.println("writeutf " + units(s) + " " + res);
            /* the same as WTF-8 */
            StringBuilder w = new StringBuilder();
            ByteArrayOutputStream wb = new ByteArrayOutputStream();
            for (int i = 0; i < s.length(); ) {
                int c = s.codePointAt(i);
                i += Character.charCount(c);
                if (c < 0x80) {
                    wb.write(c);
                } else if (c < 0x800) {
                    wb.write(0xc0 | c >> 6);
                    wb.write(0x80 | c & 0x3f);
                } else if (c < 0x10000) {
                    wb.write(0xe0 | c >> 12);
                    wb.write(0x80 | c >> 6 & 0x3f);
                    wb.write(0x80 | c & 0x3f);
                } else {
                    wb.write(0xf0 | c >> 18);
                    wb.write(0x80 | c >> 12 & 0x3f);
                    wb.write(0x80 | c >> 6 & 0x3f);
                    wb.write(0x80 | c & 0x3f);
                }
            }
            boolean lone = s.codePoints().anyMatch(c -> c >= 0xd800 && c <= 0xdfff);
            if (s.length() < 100) {
                out.println("wtf8 " + bytes(wb.toByteArray()) + " " + codePoints(s) + " "
                            + (lone ? 1 : 0));
            }
        }
        String[] mutf = {"", "41", "c080", "0041", "c1bf", "e08080", "eda080", "eda080edb080",
                         "edb080eda080", "f09f9880", "e282", "e282ac", "c0", "e0", "80", "bf41",
                         "c041", "e241ac", "e282c1", "ff", "fe", "f8", "c3a9c3", "7f", "dfbf",
                         "efbfbf", "c280c0"};
        for (String h : mutf) {
            byte[] b = unhex(h);
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            bos.write(b.length >> 8);
            bos.write(b.length);
            bos.write(b);
            String res;
            try {
                res = units(new DataInputStream(new ByteArrayInputStream(bos.toByteArray()))
                                    .readUTF());
            } catch (IOException e) {
                res = "error";
            }
            out.println("readutf " + bytes(bos.toByteArray()) + " " + res);
        }
        String[] utf8 = {"", "41", "c3a9", "e282ac", "f09f9880", "f48fbfbf", "f4908080",
                         "c080", "c1bf", "c2", "e282", "f09f98", "e08080", "e09fbf", "e0a080",
                         "eda080", "edbfbf", "ed9fbf", "ee8080", "f08fbfbf", "f0908080", "f5",
                         "ff", "80", "bf", "c341", "e241ac", "f09f41", "41c3", "7f",
                         "efbfbd", "efbfbf", "eda080edb080"};
        for (String h : utf8) {
            String res;
            try {
                res = codePoints(StandardCharsets.UTF_8.newDecoder()
                                     .onMalformedInput(CodingErrorAction.REPORT)
                                     .onUnmappableCharacter(CodingErrorAction.REPORT)
                                     .decode(ByteBuffer.wrap(unhex(h))).toString());
            } catch (CharacterCodingException e) {
                res = "error";
            }
            out.println("utf8 " + (h.isEmpty() ? "-" : h) + " " + res);
        }
    }

    public static void main(String[] args) throws Exception {
        out = new PrintWriter(System.out, false, StandardCharsets.US_ASCII);
        maps();
        serMaps();
        hashes();
        text();
        out.flush();
    }
}

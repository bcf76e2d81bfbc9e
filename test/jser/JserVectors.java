/*
 * JDK-only reference for libdlz's Java serialization codec (FORMAT.md section D).
 *
 *   java JserVectors write DIR      writes DIR/<name>.ser (one ObjectOutputStream,
 *                                   one writeObject) for every test value, and
 *                                   DIR/index.tsv: "<name>\t<kind>\t<text>" lines
 *   java JserVectors read FILE...   reads each file with ObjectInputStream and prints
 *                                   one line per file: its rendering, or "error: ..."
 *
 * kind is one of
 *   exact   a supported value: text is its rendering; libdlz must decode the bytes
 *           to the same value and encode that value to the same bytes
 *   value   a supported value whose bytes libdlz need not reproduce (shared
 *           containers, a bucket Java turns into a tree): text is its rendering
 *   opaque  holds an unsupported class: text is the class libdlz must report
 *   cyclic  holds a reference cycle: text is "-"
 *
 * Rendering (one line, no spaces):
 *   null | String:"..." | Integer:N | Long:N | Short:N | Byte:N | Boolean:true|false
 *   | Character:XXXX | Double:X16 | Float:X8 (hex of the bits, NaN canonical)
 *   | byte[]{N,..} | short[]{..} | int[]{..} | long[]{..} | float[]{X8,..}
 *   | double[]{X16,..} | boolean[]{true,..} | char[]{XXXX,..}
 *   | String[]{v,..} | Object[]{v,..} | ArrayList[v,..]
 *   | HashMap{k=v,..} | LinkedHashMap{k=v,..} | Opaque:<class>
 * Strings keep printable ASCII except '"' and '\'; every other UTF-16 unit is
 * written as \\uxxxx.  Hex digits are lowercase.  In "write" mode maps list
 * their entries in iteration order; in "read" mode HashMap entries are sorted
 * by their rendering (a map read back may iterate in another order).
 * Reading accepts only the classes the codec supports.
 */

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

public class JserVectors {

    static final class Vec {
        final String name, kind, expect;
        final Object value;

        Vec(String name, String kind, String expect, Object value) {
            this.name = name;
            this.kind = kind;
            this.expect = expect;
            this.value = value;
        }
    }

    static final List<Vec> VECS = new ArrayList<>();

    static void exact(String name, Object v) {
        VECS.add(new Vec(name, "exact", null, v));
    }

    static void value(String name, Object v) {
        VECS.add(new Vec(name, "value", null, v));
    }

    static void opaque(String name, String cls, Object v) {
        VECS.add(new Vec(name, "opaque", cls, v));
    }

    @SafeVarargs
    static <T> ArrayList<T> list(T... items) {
        ArrayList<T> l = new ArrayList<>();
        for (T item : items) {
            l.add(item);
        }
        return l;
    }

    static HashMap<Object, Object> hmap(Object... kv) {
        HashMap<Object, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    static String repeat(String s, int minUtfBytes) {
        StringBuilder b = new StringBuilder();
        while (b.toString().getBytes(StandardCharsets.UTF_8).length < minUtfBytes) {
            b.append(s);
        }
        return b.toString();
    }

    static void build() {
        exact("null", null);
        exact("string", "hello");
        exact("string_empty", "");
        exact("string_unicode", "h\u00e9llo w\u00f6rld \u2713 \ud83d\ude00 \u0000 end");
        exact("string_bounds", "\u007f\u0080\u07ff\u0800\uffff\ud7ff\ue000");
        exact("string_lone_surrogates", "\ud800x\udc00\udbff");
        exact("string_65535", repeat("a", 65535));
        exact("string_65536", repeat("a", 65536));
        exact("string_long", repeat("abc\u20ac\ud83d\ude00\u0000", 70000));
        exact("integer", 42);
        exact("integer_min", Integer.MIN_VALUE);
        exact("long", 1L << 40);
        exact("long_min", Long.MIN_VALUE);
        exact("double", 3.141592653589793);
        exact("double_nan", Double.NaN);
        exact("double_nan_payload", Double.longBitsToDouble(0x7ff0000000000001L));
        exact("double_negzero", -0.0);
        exact("double_inf", Double.NEGATIVE_INFINITY);
        exact("double_min", Double.MIN_VALUE);
        exact("float", 1.5f);
        exact("float_nan", Float.NaN);
        exact("float_negzero", -0.0f);
        exact("short", (short) -2);
        exact("byte", (byte) -128);
        exact("boolean_true", true);
        exact("boolean_false", false);
        exact("char", 'A');
        exact("char_euro", '\u20ac');
        exact("char_surrogate", '\udc00');
        exact("byte_array", new byte[] {1, -1, 0, 127, -128});
        exact("byte_array_empty", new byte[0]);
        exact("short_array", new short[] {1, -1, Short.MAX_VALUE, Short.MIN_VALUE});
        exact("int_array", new int[] {1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE});
        exact("int_array_empty", new int[0]);
        exact("long_array", new long[] {1, -1, Long.MAX_VALUE, Long.MIN_VALUE});
        exact("float_array", new float[] {1.5f, -2f});
        exact("double_array", new double[] {Double.NaN, -0.0, 1e300, 0.1});
        exact("boolean_array", new boolean[] {true, false, true});
        exact("char_array", new char[] {'a', '\u20ac', '\ud800', 0});
        exact("string_array", new String[] {"a", null, "b", "a", ""});
        exact("string_array_empty", new String[0]);
        exact("object_array", new Object[] {1, "x", null, 2.5, new int[] {1, 2}, list("y"),
                new String[] {"s"}, hmap("k", 1L), 1, "x"});
        exact("list_empty", new ArrayList<>());
        exact("list", list(1, 2, 1, null, "a", "a", 3L));
        exact("list_nulls", list(null, null, null));
        exact("list_nested", list(list(), list(list()), list(1, list(2, list(3)))));
        exact("list_boxed_sharing",
              list(127, 127, 128, 128, -128, -128, -129, -129, (short) 100, (short) 100,
                   (short) 1000, (short) 1000, (byte) -56, (byte) -56, 5L, 5L, 1000L, 1000L,
                   'a', 'a', '\u20ac', '\u20ac', true, true, false, false, 1.0, 1.0, 1.0f,
                   1.0f));
        Object deep = list();
        for (int i = 0; i < 20; i++) {
            deep = list(deep, i);
        }
        exact("list_deep", deep);
        exact("map_empty", new HashMap<>());
        HashMap<Object, Object> m = new HashMap<>();
        m.put("a", 1);
        m.put("b", list(1, 2));
        m.put("c", null);
        m.put(null, "null key");
        exact("map", m);
        HashMap<String, Object> m100 = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            m100.put("key" + i, i * 1000);
        }
        exact("map_100", m100);
        HashMap<Integer, String> coll = new HashMap<>();
        for (int i = 0; i < 10; i++) {
            coll.put(i * 16, "v");
        }
        exact("map_collisions", coll);
        HashMap<Object, Object> mixed = new HashMap<>();
        mixed.put(1L, "long");
        mixed.put(2.5, "double");
        mixed.put(-0.0, "negzero");
        mixed.put(Double.NaN, "nan");
        mixed.put(true, "true");
        mixed.put('c', "char");
        mixed.put((short) 3, "short");
        mixed.put((byte) 4, "byte");
        mixed.put(1.5f, "float");
        mixed.put(list(1, "two", null), "list");
        mixed.put(hmap("a", 1), "map");
        mixed.put("\ud83d\ude00", "emoji");
        mixed.put(Long.MIN_VALUE, "long min");
        exact("map_mixed_keys", mixed);
        LinkedHashMap<String, Integer> lhm = new LinkedHashMap<>();
        lhm.put("z", 1);
        lhm.put("a", 2);
        lhm.put("m", 3);
        exact("linked_map", lhm);
        exact("linked_map_empty", new LinkedHashMap<>());
        LinkedHashMap<String, Object> lhm2 = new LinkedHashMap<>();
        for (int i = 20; i > 0; i--) {
            LinkedHashMap<String, Integer> each = new LinkedHashMap<>();
            each.put("z", i);
            each.put("a", 2);
            lhm2.put("k" + i, each);
        }
        HashMap<String, Object> outer = new HashMap<>();
        outer.put("linked", lhm2);
        outer.put("plain", m);
        exact("map_nested", outer);
        HashMap<String, Object> arrays = new HashMap<>();
        arrays.put("arrays",
                   list(new byte[] {1, 2}, new double[] {0.5}, new char[] {'x'},
                        new boolean[] {true}, new long[] {-1}, new short[] {7},
                        new float[] {1f}, new String[] {"a", null}, new Object[] {}));
        exact("map_list_arrays", arrays);

        ArrayList<Object> inner = list(1);
        value("list_shared", list(inner, inner, "x"));
        int[] ia = {1, 2};
        value("array_shared", list(ia, ia));
        HashMap<Integer, Integer> tree = new HashMap<>();
        for (int i = 0; i < 12; i++) {
            tree.put(i * 64, i);
        }
        value("map_treeified", tree);

        opaque("date", "java.util.Date", new Date(0));
        opaque("biginteger", "java.math.BigInteger",
               new BigInteger("123456789012345678901234567890"));
        opaque("list_biginteger", "java.math.BigInteger", list(1, BigInteger.TEN, "x"));
        opaque("enum", "java.util.concurrent.TimeUnit", TimeUnit.SECONDS);
        opaque("class_object", "java.lang.Class", String.class);
        opaque("integer_array", "[Ljava.lang.Integer;", new Integer[] {1, 2});
        opaque("int_2d", "[[I", new int[][] {{1}, {2, 3}});
        TreeMap<String, Integer> tm = new TreeMap<>();
        tm.put("b", 2);
        tm.put("a", 1);
        opaque("treemap", "java.util.TreeMap", tm);
        opaque("map_date_value", "java.util.Date",
               new LinkedHashMap<>(Map.of("d", new Date(1))));
        opaque("local_date", "java.time.Ser", LocalDate.of(2020, 1, 2));
        ArrayList<Object> self = new ArrayList<>();
        self.add(1);
        self.add(self);
        VECS.add(new Vec("list_cyclic", "cyclic", "-", self));
    }

    static String hex(long v, int digits) {
        String s = Long.toHexString(v);
        while (s.length() < digits) {
            s = "0" + s;
        }
        return s.substring(s.length() - digits);
    }

    static void str(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                b.append(c);
            } else {
                b.append("\\u").append(hex(c, 4));
            }
        }
        b.append('"');
    }

    static void render(StringBuilder b, Object o, boolean sortMaps) {
        if (o == null) {
            b.append("null");
        } else if (o instanceof String) {
            b.append("String:");
            str(b, (String) o);
        } else if (o instanceof Integer) {
            b.append("Integer:").append(o);
        } else if (o instanceof Long) {
            b.append("Long:").append(o);
        } else if (o instanceof Short) {
            b.append("Short:").append(o);
        } else if (o instanceof Byte) {
            b.append("Byte:").append(o);
        } else if (o instanceof Boolean) {
            b.append("Boolean:").append(o);
        } else if (o instanceof Character) {
            b.append("Character:").append(hex((Character) o, 4));
        } else if (o instanceof Double) {
            b.append("Double:").append(hex(Double.doubleToLongBits((Double) o), 16));
        } else if (o instanceof Float) {
            b.append("Float:").append(hex(Float.floatToIntBits((Float) o), 8));
        } else if (o instanceof byte[]) {
            byte[] a = (byte[]) o;
            b.append("byte[]{");
            for (int i = 0; i < a.length; i++) {
                b.append(i > 0 ? "," : "").append(a[i]);
            }
            b.append('}');
        } else if (o instanceof short[]) {
            short[] a = (short[]) o;
            b.append("short[]{");
            for (int i = 0; i < a.length; i++) {
                b.append(i > 0 ? "," : "").append(a[i]);
            }
            b.append('}');
        } else if (o instanceof int[]) {
            int[] a = (int[]) o;
            b.append("int[]{");
            for (int i = 0; i < a.length; i++) {
                b.append(i > 0 ? "," : "").append(a[i]);
            }
            b.append('}');
        } else if (o instanceof long[]) {
            long[] a = (long[]) o;
            b.append("long[]{");
            for (int i = 0; i < a.length; i++) {
                b.append(i > 0 ? "," : "").append(a[i]);
            }
            b.append('}');
        } else if (o instanceof float[]) {
            float[] a = (float[]) o;
            b.append("float[]{");
            for (int i = 0; i < a.length; i++) {
                b.append(i > 0 ? "," : "").append(hex(Float.floatToIntBits(a[i]), 8));
            }
            b.append('}');
        } else if (o instanceof double[]) {
            double[] a = (double[]) o;
            b.append("double[]{");
            for (int i = 0; i < a.length; i++) {
                b.append(i > 0 ? "," : "").append(hex(Double.doubleToLongBits(a[i]), 16));
            }
            b.append('}');
        } else if (o instanceof boolean[]) {
            boolean[] a = (boolean[]) o;
            b.append("boolean[]{");
            for (int i = 0; i < a.length; i++) {
                b.append(i > 0 ? "," : "").append(a[i]);
            }
            b.append('}');
        } else if (o instanceof char[]) {
            char[] a = (char[]) o;
            b.append("char[]{");
            for (int i = 0; i < a.length; i++) {
                b.append(i > 0 ? "," : "").append(hex(a[i], 4));
            }
            b.append('}');
        } else if (o.getClass() == String[].class || o.getClass() == Object[].class) {
            Object[] a = (Object[]) o;
            b.append(o.getClass() == String[].class ? "String[]{" : "Object[]{");
            for (int i = 0; i < a.length; i++) {
                b.append(i > 0 ? "," : "");
                render(b, a[i], sortMaps);
            }
            b.append('}');
        } else if (o.getClass() == ArrayList.class) {
            b.append("ArrayList[");
            int i = 0;
            for (Object e : (List<?>) o) {
                b.append(i++ > 0 ? "," : "");
                render(b, e, sortMaps);
            }
            b.append(']');
        } else if (o.getClass() == HashMap.class || o.getClass() == LinkedHashMap.class) {
            boolean linked = o.getClass() == LinkedHashMap.class;
            List<String> entries = new ArrayList<>();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) o).entrySet()) {
                StringBuilder eb = new StringBuilder();
                render(eb, e.getKey(), sortMaps);
                eb.append('=');
                render(eb, e.getValue(), sortMaps);
                entries.add(eb.toString());
            }
            if (sortMaps && !linked) {
                Collections.sort(entries);
            }
            b.append(linked ? "LinkedHashMap{" : "HashMap{").append(String.join(",", entries));
            b.append('}');
        } else {
            b.append("Opaque:").append(o.getClass().getName());
        }
    }

    static byte[] serialize(Object o) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bos)) {
            out.writeObject(o);
        }
        return bos.toByteArray();
    }

    static final Set<Class<?>> ALLOWED = Set.of(String.class, Number.class, Integer.class,
            Long.class, Double.class, Float.class, Short.class, Byte.class, Boolean.class,
            Character.class, ArrayList.class, HashMap.class, LinkedHashMap.class, Object.class);

    static ObjectInputFilter.Status filter(ObjectInputFilter.FilterInfo info) {
        Class<?> c = info.serialClass();
        if (c == null) {
            return ObjectInputFilter.Status.UNDECIDED;
        }
        if (c.isArray()) {
            Class<?> e = c.getComponentType();
            return e.isPrimitive() || e == String.class || e == Object.class
                            || e == Map.Entry.class // HashMap.readObject checks its table
                    ? ObjectInputFilter.Status.ALLOWED
                    : ObjectInputFilter.Status.REJECTED;
        }
        return ALLOWED.contains(c) ? ObjectInputFilter.Status.ALLOWED
                                   : ObjectInputFilter.Status.REJECTED;
    }

    public static void main(String[] args) throws Exception {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out,
                                                                 StandardCharsets.US_ASCII));
        if (args.length == 2 && args[0].equals("write")) {
            build();
            File dir = new File(args[1]);
            StringBuilder index = new StringBuilder();
            for (Vec v : VECS) {
                try (FileOutputStream f = new FileOutputStream(new File(dir, v.name + ".ser"))) {
                    f.write(serialize(v.value));
                }
                StringBuilder b = new StringBuilder();
                if (v.expect != null) {
                    b.append(v.expect);
                } else {
                    render(b, v.value, false);
                }
                index.append(v.name).append('\t').append(v.kind).append('\t').append(b)
                        .append('\n');
            }
            Files.write(new File(dir, "index.tsv").toPath(),
                        index.toString().getBytes(StandardCharsets.US_ASCII));
        } else if (args.length >= 1 && args[0].equals("read")) {
            for (int i = 1; i < args.length; i++) {
                byte[] bytes = Files.readAllBytes(new File(args[i]).toPath());
                ByteArrayInputStream bis = new ByteArrayInputStream(bytes);
                try (ObjectInputStream in = new ObjectInputStream(bis)) {
                    in.setObjectInputFilter(JserVectors::filter);
                    Object o = in.readObject();
                    if (bis.available() != 0) {
                        out.println("error: " + bis.available() + " bytes after the object");
                        continue;
                    }
                    StringBuilder b = new StringBuilder();
                    render(b, o, true);
                    out.println(b);
                } catch (Exception e) {
                    out.println(("error: " + e).replace('\n', ' '));
                }
            }
        } else {
            System.err.println("usage: JserVectors write DIR | read FILE...");
            System.exit(2);
        }
        out.flush();
    }
}

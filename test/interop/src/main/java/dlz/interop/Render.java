package dlz.interop;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exact JSON rendering of the Java objects stored under objects/KEY.
 *
 * Every value is rendered as an object {"class": Java class name, ...}:
 *   java.lang.String            "value": string
 *   java.lang.Integer/Short/Byte "value": number
 *   java.lang.Long              "value": decimal string
 *   java.lang.Double            "value": number (null if NaN/inf), "bits": 16 hex digits
 *   java.lang.Float             "value": number (null if NaN/inf), "bits": 8 hex digits
 *   java.lang.Boolean           "value": true/false
 *   java.lang.Character         "value": one-character string
 *   [B (byte[])                 "hex": lowercase hex of the bytes
 *   [I, [S (int[], short[])     "value": [numbers]
 *   [J (long[])                 "value": [decimal strings]
 *   [F, [D (float[], double[])  "value": [numbers or null], "bits": [hex strings]
 *   [Z (boolean[])              "value": [booleans]
 *   [L...; (object arrays)      "value": [rendered elements]
 *   java.util.List classes      "value": [rendered elements]
 *   java.util.Map classes       "entries": [[rendered key, rendered value], ...] in Java
 *                                iteration order (order is not significant)
 *   null                        JSON null
 */
public final class Render {
    private Render() {}

    public static Object render(Object o) {
        if (o == null) return null;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("class", o.getClass().getName());
        if (o instanceof String) {
            m.put("value", o);
        } else if (o instanceof Integer || o instanceof Short || o instanceof Byte) {
            m.put("value", ((Number) o).intValue());
        } else if (o instanceof Long) {
            m.put("value", o.toString());
        } else if (o instanceof Double) {
            m.put("value", o);
            m.put("bits", Summ.dbits((Double) o));
        } else if (o instanceof Float) {
            m.put("value", o);
            m.put("bits", Summ.fbits((Float) o));
        } else if (o instanceof Boolean) {
            m.put("value", o);
        } else if (o instanceof Character) {
            m.put("value", o.toString());
        } else if (o instanceof byte[]) {
            m.put("hex", Summ.hex((byte[]) o));
        } else if (o instanceof int[]) {
            List<Object> l = new ArrayList<>();
            for (int x : (int[]) o) l.add(x);
            m.put("value", l);
        } else if (o instanceof short[]) {
            List<Object> l = new ArrayList<>();
            for (short x : (short[]) o) l.add((int) x);
            m.put("value", l);
        } else if (o instanceof long[]) {
            List<Object> l = new ArrayList<>();
            for (long x : (long[]) o) l.add(Long.toString(x));
            m.put("value", l);
        } else if (o instanceof float[]) {
            List<Object> l = new ArrayList<>(), b = new ArrayList<>();
            for (float x : (float[]) o) { l.add(x); b.add(Summ.fbits(x)); }
            m.put("value", l);
            m.put("bits", b);
        } else if (o instanceof double[]) {
            List<Object> l = new ArrayList<>(), b = new ArrayList<>();
            for (double x : (double[]) o) { l.add(x); b.add(Summ.dbits(x)); }
            m.put("value", l);
            m.put("bits", b);
        } else if (o instanceof boolean[]) {
            List<Object> l = new ArrayList<>();
            for (boolean x : (boolean[]) o) l.add(x);
            m.put("value", l);
        } else if (o instanceof Object[]) {
            List<Object> l = new ArrayList<>();
            for (Object x : (Object[]) o) l.add(render(x));
            m.put("value", l);
        } else if (o instanceof List) {
            List<Object> l = new ArrayList<>();
            for (Object x : (List<?>) o) l.add(render(x));
            m.put("value", l);
        } else if (o instanceof Map) {
            List<Object> l = new ArrayList<>();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) o).entrySet()) {
                List<Object> kv = new ArrayList<>();
                kv.add(render(e.getKey()));
                kv.add(render(e.getValue()));
                l.add(kv);
            }
            m.put("entries", l);
        } else {
            m.put("toString", o.toString());
        }
        return m;
    }

    /**
     * Canonical comparison form: maps' entries sorted by their JSON text so that
     * iteration order does not matter.
     */
    @SuppressWarnings("unchecked")
    public static Object canonical(Object r) {
        if (r instanceof Map) {
            Map<String, Object> m = new LinkedHashMap<>((Map<String, Object>) r);
            for (Map.Entry<String, Object> e : m.entrySet()) e.setValue(canonical(e.getValue()));
            if (m.get("entries") instanceof List) {
                List<Object> l = new ArrayList<>((List<Object>) m.get("entries"));
                l.sort((a, b) -> Json.write(a).compareTo(Json.write(b)));
                m.put("entries", l);
            }
            return m;
        }
        if (r instanceof List) {
            List<Object> l = new ArrayList<>();
            for (Object x : (List<Object>) r) l.add(canonical(x));
            return l;
        }
        if (r instanceof java.math.BigDecimal) {
            return "num:" + ((java.math.BigDecimal) r).stripTrailingZeros().toPlainString();
        }
        if (r instanceof Number) {
            return "num:" + new java.math.BigDecimal(r.toString()).stripTrailingZeros().toPlainString();
        }
        return r;
    }

    /** Canonical JSON text (numbers re-parsed so Double vs BigDecimal spellings agree). */
    public static String canonicalText(Object rendered) {
        return Json.write(canonical(Json.parse(Json.write(rendered))));
    }
}

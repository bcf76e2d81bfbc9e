package dlz.interop;

import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.preprocessor.Normalizer;
import org.nd4j.linalg.dataset.api.preprocessor.serializer.NormalizerSerializer;

/**
 * Checks archives against expected.json files using real DL4J.
 *
 *   Verify [--reference DIR] [--cross-version [--ulp N]] DIR_OR_FILE...
 *
 * For every X.zip with a sibling X.expected.json (and every X.bin whose
 * expected.json has "kind": "Normalizer") the sections present in the
 * expected file are checked.
 *
 * Computed results (output() of the network, a normalizer's transform and
 * revert) depend on the CPU: convolution and batch-norm kernels take
 * different code paths on different machines, so a value recorded on one
 * machine may differ in its last bits on another.  With --reference DIR, the
 * original DL4J-written archive DIR/X.zip is restored in the same run and its
 * results on the same inputs are the bit-exact reference ("output",
 * "normalizer_transform").  The values recorded in the expected file are then
 * a cross-machine check within a stated tolerance ("output-recorded",
 * "normalizer_transform-recorded"; see Tolerance).  Parameters, updater
 * state, normalizer statistics and objects are always compared bit-exactly.
 * One line per check:
 *   PASS <archive> <check>
 *   FAIL <archive> <check>: <why>
 * then "N passed, N failed".  Exit status 1 if anything failed or nothing was
 * found.
 */
public class Verify {
    int passed = 0, failed = 0, archives = 0;

    /**
     * --cross-version: for checking files against expected.json written by another
     * DL4J version.  Shapes are compared with size-1 dimensions removed ([1,N] vs
     * [N]), "order" is ignored, and output()/normalizer_transform values may differ
     * by up to --ulp N units in the last place (default 16).  Parameters, updater
     * state, normalizer statistics and objects are still compared exactly.
     */
    static boolean relaxed = false;
    static long maxUlp = 16;

    /** --reference DIR: the DL4J-written originals of the archives checked, by file name. */
    static File referenceDir = null;

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: Verify [--reference DIR] [--cross-version [--ulp N]] DIR_OR_ARCHIVE...");
            System.exit(2);
        }
        Verify v = new Verify();
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--cross-version")) relaxed = true;
            else if (args[i].equals("--ulp")) maxUlp = Long.parseLong(args[++i]);
            else if (args[i].equals("--reference")) referenceDir = new File(args[++i]);
            else paths.add(args[i]);
        }
        for (String a : paths) {
            File f = new File(a);
            if (f.isDirectory()) {
                File[] list = f.listFiles();
                Arrays.sort(list);
                for (File x : list) v.maybe(x);
            } else {
                v.maybe(f);
            }
        }
        if (v.archives == 0) {
            System.out.println("FAIL (none) find: no archive with a sibling .expected.json in " + String.join(" ", paths));
            v.failed++;
        }
        System.out.println(v.passed + " passed, " + v.failed + " failed");
        System.exit(v.failed > 0 ? 1 : 0);
    }

    void pass(String a, String check) {
        passed++;
        System.out.println("PASS " + a + " " + check);
    }

    void fail(String a, String check, String why) {
        failed++;
        System.out.println("FAIL " + a + " " + check + ": " + why.replace('\n', ' '));
    }

    void check(String a, String check, List<String> diffs) {
        if (diffs.isEmpty()) pass(a, check);
        else fail(a, check, String.join("; ", diffs.subList(0, Math.min(3, diffs.size())))
                + (diffs.size() > 3 ? "; ... (" + diffs.size() + " differences)" : ""));
    }

    static String err(Throwable t) {
        return t.getClass().getName() + ": " + t.getMessage();
    }

    void maybe(File f) throws Exception {
        String n = f.getName();
        String base;
        if (n.endsWith(".zip")) base = n.substring(0, n.length() - 4);
        else if (n.endsWith(".bin")) base = n.substring(0, n.length() - 4);
        else return;
        File ef = new File(f.getParentFile(), base + ".expected.json");
        if (!ef.isFile()) {
            if (n.endsWith(".zip")) System.out.println("SKIP " + n + ": no " + ef.getName());
            return;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> e = (Map<String, Object>) Json.parseFile(ef.toPath());
        String kind = (String) e.get("kind");
        if (n.endsWith(".bin")) {
            if (!"Normalizer".equals(kind)) return;
            archives++;
            verifyStream(f, e);
        } else {
            archives++;
            verifyArchive(f, e);
        }
    }

    // ------------------------------------------------------------ tolerance

    /**
     * Tolerance of the cross-machine checks of recorded results: element by
     * element, |actual - recorded| <= atol + rtol * |recorded|, NaN only where
     * NaN was recorded and infinities exactly.  Per data type; the PASS line
     * names the tolerance used and the largest difference found.
     */
    static final class Tolerance {
        final String dtype;
        final double rtol, atol;
        double worst = 0; // largest |actual - recorded| / (atol + rtol * |recorded|)

        Tolerance(String dtype) {
            this.dtype = dtype;
            switch (dtype) {
                case "DOUBLE": rtol = 1e-10; atol = 1e-12; break;
                case "FLOAT": rtol = 1e-5; atol = 1e-6; break;
                default: rtol = 1e-2; atol = 1e-3; break; // HALF, BFLOAT16
            }
        }

        static String describe() {
            return "|diff| <= atol + rtol*|recorded|: DOUBLE rtol=1e-10 atol=1e-12, FLOAT rtol=1e-5 atol=1e-6,"
                    + " HALF/BFLOAT16 rtol=1e-2 atol=1e-3";
        }

        /** null when within tolerance, else the first element outside it. */
        String check(String actualHex, String recordedHex) {
            int w = Summ.width(dtype);
            if (actualHex.length() != recordedHex.length()) return "lengths differ";
            int n = actualHex.length() / (2 * w);
            for (int i = 0; i < n; i++) {
                double x = decode(actualHex.substring(2 * w * i, 2 * w * (i + 1)), dtype);
                double y = decode(recordedHex.substring(2 * w * i, 2 * w * (i + 1)), dtype);
                if (Double.isNaN(x) || Double.isNaN(y) || Double.isInfinite(x) || Double.isInfinite(y)) {
                    if (Double.compare(x, y) != 0 && !(Double.isNaN(x) && Double.isNaN(y))) {
                        return "element " + i + ": " + x + " != recorded " + y;
                    }
                    continue;
                }
                double bound = atol + rtol * Math.abs(y);
                double d = Math.abs(x - y);
                worst = Math.max(worst, d / bound);
                if (d > bound) {
                    return "element " + i + ": " + x + " differs from recorded " + y + " by " + d
                            + " > " + bound + " (" + dtype + " rtol=" + rtol + " atol=" + atol + ")";
                }
            }
            return null;
        }
    }

    /** Set while recorded results are compared: values_hex within tolerance count as equal. */
    static List<Tolerance> tolerances = null;

    // -------------------------------------------------------------- compare

    /** Compares the parts of `actual` that `expected` mentions; appends differences. */
    @SuppressWarnings("unchecked")
    static void compare(Object actual, Object expected, String path, List<String> diffs) {
        if (relaxed && (isEmptySummary(expected) && actual == null || expected == null && isEmptySummary(actual))) {
            return; // "no parameters": null in one version, an empty array in another
        }
        if (expected == null) {
            if (actual != null) diffs.add(path + ": expected null, got " + brief(actual));
            return;
        }
        if (actual == null) {
            diffs.add(path + ": expected " + brief(expected) + ", got null");
            return;
        }
        if (expected instanceof Map) {
            if (!(actual instanceof Map)) {
                diffs.add(path + ": expected an object, got " + brief(actual));
                return;
            }
            Map<String, Object> em = (Map<String, Object>) expected, am = (Map<String, Object>) actual;
            boolean tolerated = false;
            for (Map.Entry<String, Object> x : em.entrySet()) {
                String k = x.getKey();
                if (!am.containsKey(k)) {
                    diffs.add(path + "." + k + ": missing");
                    continue;
                }
                if (relaxed && k.equals("order")) continue;
                if ((relaxed || tolerances != null) && k.equals("sha256") && tolerated) continue;
                if (relaxed && k.equals("shape") && x.getValue() instanceof List && am.get(k) instanceof List) {
                    if (!squeeze((List<Object>) am.get(k)).equals(squeeze((List<Object>) x.getValue()))) {
                        diffs.add(path + ".shape: expected " + brief(x.getValue()) + ", got " + brief(am.get(k)));
                    }
                    continue;
                }
                if ((k.equals("values_hex") || k.equals("sample_hex")) && x.getValue() instanceof String
                        && am.get(k) instanceof String && !x.getValue().equals(am.get(k))) {
                    String dt = String.valueOf(am.get("dtype"));
                    int w = 1;
                    try { w = Summ.width(dt); } catch (RuntimeException ignored) { }
                    if (relaxed && (path.startsWith("output") || path.startsWith("normalizer_transform"))) {
                        long u = maxUlp((String) am.get(k), (String) x.getValue(), dt);
                        if (u >= 0 && u <= maxUlp) {
                            tolerated = true;
                            continue;
                        }
                    } else if (tolerances != null && k.equals("values_hex") && Summ.isFloating(dt)) {
                        Tolerance t = new Tolerance(dt);
                        tolerances.add(t);
                        String why = t.check((String) am.get(k), (String) x.getValue());
                        if (why == null) {
                            tolerated = true;
                            continue;
                        }
                        diffs.add(path + "." + k + ": " + why);
                        continue;
                    }
                    diffs.add(path + "." + k + ": " + Summ.firstDiff((String) am.get(k), (String) x.getValue(), w));
                    continue;
                }
                compare(am.get(k), x.getValue(), path + "." + k, diffs);
            }
            return;
        }
        if (expected instanceof List) {
            if (!(actual instanceof List)) {
                diffs.add(path + ": expected a list, got " + brief(actual));
                return;
            }
            List<Object> el = (List<Object>) expected, al = (List<Object>) actual;
            if (el.size() != al.size()) {
                diffs.add(path + ": expected " + el.size() + " items " + brief(el) + ", got " + al.size() + " " + brief(al));
                return;
            }
            for (int i = 0; i < el.size(); i++) compare(al.get(i), el.get(i), path + "[" + i + "]", diffs);
            return;
        }
        if (expected instanceof Number) {
            if (!(actual instanceof Number)
                    || new BigDecimal(actual.toString()).compareTo(new BigDecimal(expected.toString())) != 0) {
                diffs.add(path + ": expected " + expected + ", got " + brief(actual));
            }
            return;
        }
        if (!expected.equals(actual)) diffs.add(path + ": expected " + brief(expected) + ", got " + brief(actual));
    }

    static List<String> squeeze(List<Object> shape) {
        List<String> r = new ArrayList<>();
        for (Object o : shape) if (!o.toString().equals("1")) r.add(o.toString());
        return r;
    }

    @SuppressWarnings("unchecked")
    static boolean isEmptySummary(Object o) {
        return o instanceof Map && ((Map<String, Object>) o).get("length") instanceof Number
                && ((Number) ((Map<String, Object>) o).get("length")).longValue() == 0;
    }

    static double decode(String hex, String dtype) {
        long bits = Long.parseUnsignedLong(hex, 16);
        switch (dtype) {
            case "DOUBLE": return Double.longBitsToDouble(bits);
            case "FLOAT": return Float.intBitsToFloat((int) bits);
            default: return Summ.halfToFloat((int) bits);
        }
    }

    /**
     * Largest element difference between two equal-length hex arrays, in units
     * of the last place of the largest expected magnitude (so values that
     * cancel to near zero are not over-penalised); -1 if not comparable.
     */
    static long maxUlp(String a, String b, String dtype) {
        int w;
        double unitAtOne;
        switch (dtype) {
            case "DOUBLE": w = 8; unitAtOne = Math.ulp(1.0); break;
            case "FLOAT": w = 4; unitAtOne = Math.ulp(1.0f); break;
            case "HALF": w = 2; unitAtOne = Math.scalb(1.0, -10); break;
            default: return -1;
        }
        if (a.length() != b.length()) return -1;
        int n = a.length() / (2 * w);
        double[] x = new double[n], y = new double[n];
        double scale = 0;
        for (int i = 0; i < n; i++) {
            x[i] = decode(a.substring(2 * w * i, 2 * w * (i + 1)), dtype);
            y[i] = decode(b.substring(2 * w * i, 2 * w * (i + 1)), dtype);
            if (Double.isNaN(x[i]) != Double.isNaN(y[i])) return -1;
            if (!Double.isNaN(y[i])) scale = Math.max(scale, Math.abs(y[i]));
        }
        double unit = unitAtOne * Math.pow(2, Math.getExponent(Math.max(scale, Double.MIN_NORMAL)));
        long worst = 0;
        for (int i = 0; i < n; i++) {
            if (Double.isNaN(x[i])) continue;
            double d = Math.abs(x[i] - y[i]);
            if (Double.isInfinite(d)) return -1;
            worst = Math.max(worst, (long) Math.ceil(d / unit));
        }
        return worst;
    }

    static String brief(Object o) {
        String s = Json.write(o).replaceAll("\\s+", " ").trim();
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }

    /** Round-trips a freshly built section through JSON so numbers compare like the parsed file. */
    static Object norm(Object section) {
        return Json.parse(Json.write(section));
    }

    static List<String> diff(Object actualSection, Object expectedSection, String path) {
        List<String> d = new ArrayList<>();
        compare(norm(actualSection), expectedSection, path, d);
        return d;
    }

    @SuppressWarnings("unchecked")
    static INDArray[] arrays(Object summaries) {
        List<Object> l = (List<Object>) summaries;
        INDArray[] a = new INDArray[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = Summ.fromSummary((Map<String, Object>) l.get(i));
        return a;
    }

    // -------------------------------------------------------------- archives

    @SuppressWarnings("unchecked")
    void verifyArchive(File f, Map<String, Object> e) throws Exception {
        String a = f.getName();
        String kind = (String) e.get("kind");

        List<Object> entries = null;
        try {
            entries = Expect.entries(f);
        } catch (Exception ex) {
            fail(a, "zip", err(ex));
            return;
        }
        if (e.containsKey("entries")) check(a, "entries", diff(entries, e.get("entries"), "entries"));

        if (!"MultiLayerNetwork".equals(kind) && !"ComputationGraph".equals(kind)) {
            fail(a, "kind", "unknown kind " + kind);
            return;
        }

        if (e.get("expect_restore_error") != null) {
            for (boolean lu : new boolean[] {true, false}) {
                String c = "restore-fails(loadUpdater=" + lu + ")";
                try {
                    restore(f, kind, lu);
                    fail(a, c, "expected restore to fail as it does for the DL4J-written archive, but it succeeded");
                } catch (Throwable t) {
                    pass(a, c);
                }
            }
        } else {
            for (boolean lu : new boolean[] {true, false}) {
                String sfx = "(loadUpdater=" + lu + ")";
                Model m;
                try {
                    m = restore(f, kind, lu);
                    pass(a, "restore" + sfx);
                } catch (Throwable t) {
                    fail(a, "restore" + sfx, err(t));
                    continue;
                }
                if (e.containsKey("dtype")) check(a, "dtype" + sfx, diff(Expect.dtype(m), e.get("dtype"), "dtype"));
                if (e.containsKey("coefficients")) {
                    check(a, "coefficients" + sfx, diff(Expect.coefficients(m), e.get("coefficients"), "coefficients"));
                }
                if (e.containsKey("params")) {
                    Map<String, Object> act = Expect.params(m);
                    Map<String, Object> exp = (Map<String, Object>) e.get("params");
                    List<String> d = new ArrayList<>();
                    if (!new HashSet<>(act.keySet()).equals(new HashSet<>(exp.keySet()))) {
                        d.add("param keys " + act.keySet() + " != expected " + exp.keySet());
                    }
                    compare(norm(act), exp, "params", d);
                    check(a, "params" + sfx, d);
                }
                if (lu && e.containsKey("updater")) {
                    if (e.get("updater") == null) {
                        if (entries.contains("updaterState.bin")) {
                            fail(a, "updater" + sfx, "expected no updater state but the archive has updaterState.bin");
                        } else {
                            pass(a, "updater" + sfx);
                        }
                    } else {
                        check(a, "updater" + sfx, diff(Expect.updater(m), e.get("updater"), "updater"));
                    }
                }
                Map<String, Object> out = (Map<String, Object>) e.get("output");
                if (out != null && out.get("inputs") != null && out.get("outputs") != null) {
                    Object got;
                    try {
                        got = Summ.summaries(Expect.output(m, arrays(out.get("inputs"))));
                    } catch (Throwable t) {
                        fail(a, "output" + sfx, err(t));
                        continue;
                    }
                    if (referenceDir != null) {
                        Object ref;
                        try {
                            ref = reference(f, kind).output(arrays(out.get("inputs")));
                        } catch (Throwable t) {
                            fail(a, "output" + sfx, "reference " + err(t));
                            ref = null;
                        }
                        if (ref != null) check(a, "output" + sfx, diff(got, norm(ref), "output"));
                    }
                    recordedCheck(a, "output-recorded" + sfx, got, out.get("outputs"), "output");
                }
            }
        }

        if (e.containsKey("normalizer")) {
            Object en = e.get("normalizer");
            Normalizer<?> n = null;
            try {
                n = ModelSerializer.restoreNormalizerFromFile(f);
            } catch (Throwable t) {
                fail(a, "normalizer", "restoreNormalizerFromFile: " + err(t));
                n = null;
                en = null;
            }
            if (en == null) {
                if (e.get("normalizer") == null) {
                    if (n == null) pass(a, "normalizer");
                    else fail(a, "normalizer", "expected none, restored " + n.getClass().getName());
                }
            } else if (n == null) {
                fail(a, "normalizer", "restoreNormalizerFromFile returned null");
            } else {
                check(a, "normalizer", diff(Expect.normalizer(n), en, "normalizer"));
                Normalizer<?> refN = null;
                if (referenceDir != null && e.get("normalizer_transform") != null) {
                    try {
                        refN = reference(f, kind).normalizer();
                    } catch (Throwable t) {
                        fail(a, "normalizer_transform", "reference " + err(t));
                    }
                }
                transformCheck(a, n, refN, (Map<String, Object>) e.get("normalizer_transform"));
            }
        }

        if (e.get("objects") != null) {
            Map<String, Object> eo = (Map<String, Object>) e.get("objects");
            List<String> keys;
            try {
                keys = ModelSerializer.listObjectsInFile(f);
            } catch (Throwable t) {
                fail(a, "objects-list", err(t));
                return;
            }
            if (new HashSet<>(keys).equals(eo.keySet())) pass(a, "objects-list");
            else fail(a, "objects-list", "listObjectsInFile " + keys + " != expected " + eo.keySet());
            for (Map.Entry<String, Object> x : eo.entrySet()) {
                String key = x.getKey();
                Map<String, Object> want = (Map<String, Object>) x.getValue();
                Object v;
                try {
                    v = ModelSerializer.getObjectFromFile(f, key);
                } catch (Throwable t) {
                    fail(a, "object " + key, "getObjectFromFile: " + err(t));
                    continue;
                }
                List<String> d = new ArrayList<>();
                String cls = v == null ? null : v.getClass().getName();
                if (want.containsKey("java_class") && !String.valueOf(want.get("java_class")).equals(String.valueOf(cls))) {
                    d.add("class " + cls + " != expected " + want.get("java_class"));
                }
                if (want.containsKey("value")) {
                    String got = Render.canonicalText(Render.render(v));
                    String exp = Render.canonicalText(want.get("value"));
                    if (!got.equals(exp)) d.add("value " + brief(Json.parse(got)) + " != expected " + brief(Json.parse(exp)));
                }
                check(a, "object " + key, d);
                if (want.get("sha256_bytes") != null) {
                    byte[] raw = Expect.entryBytes(f, "objects/" + key);
                    String got = raw == null ? null : Summ.sha256(raw);
                    if (want.get("sha256_bytes").equals(got)) pass(a, "object-bytes " + key);
                    else fail(a, "object-bytes " + key, "sha256 of objects/" + key + " is " + got + ", expected "
                            + want.get("sha256_bytes") + " (the value may still be equal; see 'object " + key + "')");
                }
            }
        }
    }

    static Model restore(File f, String kind, boolean loadUpdater) throws Exception {
        if (kind.equals("ComputationGraph")) {
            ComputationGraph g = ModelSerializer.restoreComputationGraph(f, loadUpdater);
            return g;
        }
        return ModelSerializer.restoreMultiLayerNetwork(f, loadUpdater);
    }

    /**
     * Transform and revert of the recorded inputs with {@code n}: bit-exact
     * against the same computation with the reference normalizer {@code ref}
     * (when given), and within tolerance against the recorded results.
     */
    @SuppressWarnings("unchecked")
    void transformCheck(String a, Normalizer<?> n, Normalizer<?> ref, Map<String, Object> t) {
        if (t == null) return;
        Map<String, Object> act;
        try {
            act = Expect.transform(n, arrays(t.get("features_in")),
                    t.get("labels_in") == null ? null : arrays(t.get("labels_in")));
        } catch (Throwable ex) {
            fail(a, "normalizer_transform", err(ex));
            return;
        }
        if (ref != null) {
            try {
                Map<String, Object> want = Expect.transform(ref, arrays(t.get("features_in")),
                        t.get("labels_in") == null ? null : arrays(t.get("labels_in")));
                check(a, "normalizer_transform", diff(act, norm(want), "normalizer_transform"));
            } catch (Throwable ex) {
                fail(a, "normalizer_transform", "reference " + err(ex));
            }
        }
        recordedCheck(a, "normalizer_transform-recorded", act, t, "normalizer_transform");
    }

    /**
     * Compares computed results with the values recorded in the expected file
     * (on whatever machine made it): within the tolerance of Tolerance, or of
     * --ulp in --cross-version mode.  The PASS line names the tolerance.
     */
    void recordedCheck(String a, String check, Object actual, Object recorded, String path) {
        if (relaxed) {
            List<String> d = diff(actual, recorded, path);
            if (d.isEmpty()) pass(a, check + " [within " + maxUlp + " ulp of the largest magnitude]");
            else check(a, check, d);
            return;
        }
        tolerances = new ArrayList<>();
        List<String> d;
        double worst = 0;
        try {
            d = diff(actual, recorded, path);
            for (Tolerance t : tolerances) worst = Math.max(worst, t.worst);
        } finally {
            tolerances = null;
        }
        if (d.isEmpty()) {
            pass(a, check + String.format(" [tolerance %s; largest difference %.3g of the bound]",
                    Tolerance.describe(), worst));
        } else {
            check(a, check, d);
        }
    }

    // ------------------------------------------------------------ references

    /** A DL4J-written original restored once: its outputs and normalizer. */
    static final class Reference {
        final Model model;
        final File file;

        Reference(File file, Model model) {
            this.file = file;
            this.model = model;
        }

        Object output(INDArray[] in) {
            return Summ.summaries(Expect.output(model, in));
        }

        Normalizer<?> normalizer() throws Exception {
            Normalizer<?> n = ModelSerializer.restoreNormalizerFromFile(file);
            if (n == null) throw new IllegalStateException(file + " has no normalizer");
            return n;
        }
    }

    final Map<String, Reference> references = new java.util.HashMap<>();

    /** The original of {@code f}: --reference DIR / f's name, restored without its updater. */
    Reference reference(File f, String kind) throws Exception {
        File r = new File(referenceDir, f.getName());
        Reference ref = references.get(r.getPath());
        if (ref == null) {
            if (!r.isFile()) throw new java.io.FileNotFoundException("no reference archive " + r);
            ref = new Reference(r, restore(r, kind, false));
            references.clear(); // one at a time: archives are checked one after another
            references.put(r.getPath(), ref);
        }
        return ref;
    }

    // ------------------------------------------------------ normalizer files

    @SuppressWarnings("unchecked")
    void verifyStream(File f, Map<String, Object> e) throws Exception {
        String a = f.getName();
        if (e.get("sha256_bytes") != null) {
            String got = Summ.sha256(Files.readAllBytes(f.toPath()));
            if (got.equals(e.get("sha256_bytes"))) pass(a, "bytes");
            else fail(a, "bytes", "sha256 " + got + " != expected " + e.get("sha256_bytes"));
        }
        Normalizer<?> n;
        try (InputStream in = new FileInputStream(f)) {
            n = NormalizerSerializer.getDefault().restore(in);
            pass(a, "restore");
        } catch (Throwable t) {
            fail(a, "restore", err(t));
            return;
        }
        if (e.get("normalizer") != null) check(a, "normalizer", diff(Expect.normalizer(n), e.get("normalizer"), "normalizer"));
        transformCheck(a, n, null, (Map<String, Object>) e.get("normalizer_transform"));
    }
}

package dlz.legacy;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Restores archives with DL4J 0.9.1 and checks every value.
 *
 * <pre>
 * Check linspace ARCHIVE...        params and updater state must be 1..N (DL4J's regression models)
 * Check same REFERENCE ARCHIVE...  same configuration, parameters and updater state as REFERENCE
 * Check values VALUES ARCHIVE...   parameters, updater state and outputs equal to a Generate values file
 * Check --list FILE                one check per line, tab-separated: linspace ARCHIVE |
 *                                  same REFERENCE ARCHIVE | values VALUES ARCHIVE
 * </pre>
 *
 * Prints {@code PASS <archive> <check>} or {@code FAIL <archive> <check>: <why>} per check and a
 * last line {@code N passed, N failed}. Exit status 1 if anything failed or nothing was checked.
 */
public final class Check {
    private int passed;
    private int failed;

    private void pass(String who, String what) {
        passed++;
        System.out.println("PASS " + who + " " + what);
    }

    private void fail(String who, String what, String why) {
        failed++;
        System.out.println("FAIL " + who + " " + what + ": " + why);
    }

    private void check(String who, String what, String why) {
        if (why == null) pass(who, what);
        else fail(who, what, why);
    }

    private static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder(t.toString());
        for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            sb.append(" / caused by ").append(c);
        }
        return sb.toString().replace('\n', ' ');
    }

    private Model restore(String who, File f, boolean loadUpdater) {
        String what = "restore(loadUpdater=" + loadUpdater + ")";
        try {
            Model m = Values.restore(f, loadUpdater);
            pass(who, what + " " + Values.kindOf(m));
            return m;
        } catch (Throwable t) {
            fail(who, what, describe(t));
            t.printStackTrace();
            return null;
        }
    }

    /** null if a holds exactly 1, 2, ..., length. */
    private static String linspaceDiff(INDArray a) {
        if (a == null) return "missing (null)";
        INDArray flat = Nd4j.toFlattened('c', a);
        int n = flat.length();
        for (int i = 0; i < n; i++) {
            double v = flat.getDouble(i);
            if (v != i + 1) return "element " + i + " is " + v + ", expected " + (i + 1) + " (length " + n + ")";
        }
        return null;
    }

    private static String desc(INDArray a) {
        return a.data().dataType() + " " + Arrays.toString(a.shape());
    }

    void linspace(File f) {
        String who = f.getName();
        boolean hasUpdater;
        try {
            hasUpdater = Values.hasEntry(f, "updaterState.bin");
        } catch (Throwable t) {
            fail(who, "open", describe(t));
            return;
        }
        for (boolean loadUpdater : new boolean[] {true, false}) {
            Model m = restore(who, f, loadUpdater);
            if (m == null) continue;
            String tag = "(loadUpdater=" + loadUpdater + ")";
            INDArray p = m.params();
            check(who, "params=1.." + (p == null ? 0 : p.length()) + " " + (p == null ? "" : desc(p)) + " " + tag,
                    p == null || p.length() == 0 ? "no parameters" : linspaceDiff(p));
            if (loadUpdater && hasUpdater) {
                INDArray u = Values.updaterState(m);
                check(who, "updater=1.." + (u == null ? 0 : u.length()) + " " + (u == null ? "" : desc(u)) + " " + tag,
                        u == null || u.length() == 0 ? "no updater state after restore" : linspaceDiff(u));
            }
        }
    }

    void same(File ref, File f) {
        String who = f.getName();
        Model r;
        try {
            r = Values.restore(ref, true);
        } catch (Throwable t) {
            fail(who, "same-as " + ref.getName(), "the reference does not restore: " + describe(t));
            return;
        }
        Model m = restore(who, f, true);
        if (m == null) return;
        String what = "same-as " + ref.getName() + " ";
        check(who, what + "configuration", Values.configJson(r).equals(Values.configJson(m)) ? null
                : "toJson() of the restored configuration differs");
        Values want = Values.capture(r, null, true);
        Values got = Values.capture(m, null, true);
        for (Map.Entry<String, Values.Arr> e : want.arrays.entrySet()) {
            check(who, what + e.getKey(), e.getValue().diff(got.arrays.get(e.getKey())));
        }
        check(who, what + "param keys", want.arrays.keySet().equals(got.arrays.keySet()) ? null
                : got.arrays.keySet() + ", expected " + want.arrays.keySet());
    }

    private static INDArray toArray(Values.Arr a) {
        double[] d = new double[a.bits.length];
        for (int i = 0; i < d.length; i++) d[i] = Double.longBitsToDouble(a.bits[i]);
        return Nd4j.create(d, a.shape, 'c');
    }

    void values(File valuesFile, File f) {
        String who = f.getName();
        Values want;
        try {
            want = Values.read(valuesFile);
        } catch (Throwable t) {
            fail(who, "values " + valuesFile.getName(), describe(t));
            return;
        }
        Values.Arr in = want.arrays.get("input");
        boolean hasUpdater;
        try {
            hasUpdater = Values.hasEntry(f, "updaterState.bin");
        } catch (Throwable t) {
            fail(who, "open", describe(t));
            return;
        }
        for (boolean loadUpdater : new boolean[] {true, false}) {
            Model m = restore(who, f, loadUpdater);
            if (m == null) continue;
            String tag = " (loadUpdater=" + loadUpdater + ")";
            check(who, "kind" + tag, want.kind.equals(Values.kindOf(m)) ? null
                    : Values.kindOf(m) + ", expected " + want.kind);
            Values got;
            try {
                got = Values.capture(m, in == null ? null : toArray(in), loadUpdater);
            } catch (Throwable t) {
                fail(who, "read values" + tag, describe(t));
                t.printStackTrace();
                continue;
            }
            List<String> keys = new ArrayList<>(want.arrays.keySet());
            for (String k : keys) {
                // An archive written without updaterState.bin has no updater state to compare.
                if (k.equals("input") || (k.equals("updater") && !(loadUpdater && hasUpdater))) continue;
                Values.Arr w = want.arrays.get(k);
                check(who, k + " " + w.dtype + " [" + w.shapeString() + "]" + tag, w.diff(got.arrays.get(k)));
            }
            List<String> wantParams = Values.names(want, "param:");
            List<String> gotParams = Values.names(got, "param:");
            check(who, "param keys" + tag, wantParams.equals(gotParams) ? null
                    : gotParams + ", expected " + wantParams);
        }
    }

    public static void main(String[] args) throws Exception {
        Check c = new Check();
        List<String[]> jobs = new ArrayList<>();
        if (args.length >= 2 && args[0].equals("--list")) {
            for (String line : Files.readAllLines(new File(args[1]).toPath(), StandardCharsets.UTF_8)) {
                if (!line.isEmpty() && !line.startsWith("#")) jobs.add(line.split("\t"));
            }
        } else if (args.length >= 2 && args[0].equals("linspace")) {
            for (int i = 1; i < args.length; i++) jobs.add(new String[] {"linspace", args[i]});
        } else if (args.length >= 3 && (args[0].equals("same") || args[0].equals("values"))) {
            for (int i = 2; i < args.length; i++) jobs.add(new String[] {args[0], args[1], args[i]});
        } else {
            System.err.println("usage: Check linspace ARCHIVE... | Check same REFERENCE ARCHIVE... | "
                    + "Check values VALUES ARCHIVE... | Check --list FILE");
            System.exit(2);
        }
        for (String[] j : jobs) {
            if (j[0].equals("linspace") && j.length == 2) {
                c.linspace(new File(j[1]));
            } else if (j[0].equals("same") && j.length == 3) {
                c.same(new File(j[1]), new File(j[2]));
            } else if (j[0].equals("values") && j.length == 3) {
                c.values(new File(j[1]), new File(j[2]));
            } else {
                c.fail(String.join(" ", j), "list", "unknown check line");
            }
        }
        System.out.println(c.passed + " passed, " + c.failed + " failed");
        System.out.flush();
        System.exit(c.failed == 0 && c.passed > 0 ? 0 : 1);
    }
}

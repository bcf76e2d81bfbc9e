package dlz.interop;

import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Does a network whose coefficients were converted to another data type
 * compute what the original computes, within the precision of that type?
 *
 *   DtypeOutput DTYPE TOLERANCES ORIGINAL_DIR CONVERTED_DIR
 *
 * For every CONVERTED_DIR/NAME.zip with ORIGINAL_DIR/NAME.zip and
 * ORIGINAL_DIR/NAME.expected.json (whose "output" section gives the inputs),
 * both archives are restored by DL4J (with their updater state), the
 * converted network must have data type DTYPE (configuration and parameters),
 * and output() of both on the same inputs, computed in this run, must agree:
 * for each output array, max |converted - original| <= TOLERANCE * max
 * |original|.  TOLERANCES is TYPE=T,TYPE=T...; TOLERANCE is the larger of
 * those of DTYPE and of the original's type (an original that computes in
 * HALF is itself only that precise).  The inputs are given to each network
 * in its own data type.  A network without parameters has only its
 * configured type checked (DL4J gives it an empty FLOAT array).
 * Prints "PASS NAME ..." or "FAIL NAME: why" per archive, then
 * "N passed, N failed"; exits 1 if any failed or none was found.
 */
public final class DtypeOutput {
    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: DtypeOutput DTYPE TYPE=TOLERANCE,... ORIGINAL_DIR CONVERTED_DIR");
            System.exit(2);
        }
        DataType want = DataType.valueOf(args[0]);
        Map<String, Double> tol = new java.util.HashMap<>();
        for (String kv : args[1].split(",")) {
            String[] p = kv.split("=", 2);
            tol.put(p[0], Double.parseDouble(p[1]));
        }
        File origDir = new File(args[2]);
        File[] list = new File(args[3]).listFiles((d, n) -> n.endsWith(".zip"));
        Arrays.sort(list);
        int passed = 0, failed = 0;
        for (File conv : list) {
            String name = conv.getName().replaceAll("\\.zip$", "");
            File orig = new File(origDir, name + ".zip");
            File exp = new File(origDir, name + ".expected.json");
            try {
                String r = check(want, tol, orig, exp, conv);
                System.out.println("PASS " + name + " " + r);
                passed++;
            } catch (Throwable t) {
                String m = String.valueOf(t).replaceAll("[\\r\\n]+", " ");
                System.out.println("FAIL " + name + ": " + m);
                failed++;
            }
        }
        if (passed + failed == 0) {
            System.out.println("FAIL (none): no archive in " + args[3]);
            failed++;
        }
        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed > 0 ? 1 : 0);
    }

    static Model restore(File f) throws Exception {
        try {
            return org.deeplearning4j.util.ModelSerializer.restoreMultiLayerNetwork(f, true);
        } catch (Exception e) {
            if (!String.valueOf(e.getMessage()).contains("ComputationGraph")) throw e;
            return org.deeplearning4j.util.ModelSerializer.restoreComputationGraph(f, true);
        }
    }

    static INDArray[] cast(INDArray[] in, DataType t) {
        INDArray[] out = new INDArray[in.length];
        for (int i = 0; i < in.length; i++) out[i] = in[i].castTo(t);
        return out;
    }

    @SuppressWarnings("unchecked")
    static String check(DataType want, Map<String, Double> tols, File orig, File exp, File conv) throws Exception {
        Map<String, Object> e = (Map<String, Object>) Json.parseFile(Path.of(exp.getPath()));
        Map<String, Object> out = (Map<String, Object>) e.get("output");
        if (out == null || out.get("inputs") == null) throw new IllegalStateException("no recorded inputs in " + exp);
        INDArray[] inputs = Verify.arrays(out.get("inputs"));
        Model a = restore(orig);
        Model b = restore(conv);
        String dt = Expect.dtype(b);
        if (!dt.equals(want.name())) throw new IllegalStateException("configured data type " + dt + ", not " + want);
        if (b.params().length() > 0 && b.params().dataType() != want) {
            throw new IllegalStateException("parameters are " + b.params().dataType() + ", not " + want);
        }
        String from = Expect.dtype(a);
        if (!tols.containsKey(want.name()) || !tols.containsKey(from)) {
            throw new IllegalStateException("no tolerance for " + want + " or " + from);
        }
        double tol = Math.max(tols.get(want.name()), tols.get(from));
        INDArray[] ra = Expect.output(a, cast(inputs, a.params().length() > 0 ? a.params().dataType() : want));
        INDArray[] rb = Expect.output(b, cast(inputs, want));
        if (ra.length != rb.length) throw new IllegalStateException(rb.length + " outputs, not " + ra.length);
        double worst = 0;
        for (int k = 0; k < ra.length; k++) {
            if (!Arrays.equals(ra[k].shape(), rb[k].shape())) {
                throw new IllegalStateException("output " + k + " has shape " + Arrays.toString(rb[k].shape()));
            }
            double[] x = ra[k].castTo(DataType.DOUBLE).dup('c').data().asDouble();
            double[] y = rb[k].castTo(DataType.DOUBLE).dup('c').data().asDouble();
            double scale = 0, diff = 0;
            for (int i = 0; i < x.length; i++) {
                scale = Math.max(scale, Math.abs(x[i]));
                double d = Math.abs(x[i] - y[i]);
                if (!(d <= diff)) diff = d; // NaN propagates
            }
            double rel = diff / Math.max(scale, 1e-30);
            if (!(rel <= tol)) {
                throw new IllegalStateException("output " + k + ": max |difference| " + diff + " = " + rel
                        + " of max |output| " + scale + ", above " + tol);
            }
            worst = Math.max(worst, rel);
        }
        return "output within " + worst + " of the original (" + from + " -> " + want + ", tolerance " + tol + ")";
    }
}

package dlz.legacy;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Values of a DL4J 0.9.1 model as plain text, so that a restored model can be
 * compared exactly with what DL4J held in memory when it wrote the archive.
 *
 * <pre>
 * kind MultiLayerNetwork|ComputationGraph
 * array NAME DTYPE SHAPE(d0,d1,..) N HEX HEX ...
 * </pre>
 *
 * Each HEX is {@code Double.doubleToRawLongBits} of one element (C order); a
 * FLOAT element widened to double is exact, so the comparison is exact.
 * Array names: {@code params}, {@code param:KEY} (every entry of
 * {@code paramTable()}), {@code updater} (the updater state view),
 * {@code input}, {@code output:I}.
 */
final class Values {
    final String kind;
    final Map<String, Arr> arrays = new LinkedHashMap<>();

    Values(String kind) {
        this.kind = kind;
    }

    static final class Arr {
        final String dtype;
        final int[] shape;
        final long[] bits;

        Arr(String dtype, int[] shape, long[] bits) {
            this.dtype = dtype;
            this.shape = shape;
            this.bits = bits;
        }

        static Arr of(INDArray a) {
            INDArray flat = Nd4j.toFlattened('c', a);
            int n = flat.length();
            long[] bits = new long[n];
            for (int i = 0; i < n; i++) {
                bits[i] = Double.doubleToRawLongBits(flat.getDouble(i));
            }
            return new Arr(a.data().dataType().name(), a.shape().clone(), bits);
        }

        String shapeString() {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < shape.length; i++) {
                if (i > 0) sb.append(',');
                sb.append(shape[i]);
            }
            return sb.toString();
        }

        /** null if equal, else the first difference. */
        String diff(Arr actual) {
            if (actual == null) return "missing (null)";
            if (!java.util.Arrays.equals(shape, actual.shape)) {
                return "shape [" + actual.shapeString() + "], expected [" + shapeString() + "]";
            }
            if (!dtype.equals(actual.dtype)) return "dtype " + actual.dtype + ", expected " + dtype;
            if (bits.length != actual.bits.length) {
                return "length " + actual.bits.length + ", expected " + bits.length;
            }
            for (int i = 0; i < bits.length; i++) {
                if (bits[i] != actual.bits[i]) {
                    return "element " + i + " is " + Double.longBitsToDouble(actual.bits[i]) + ", expected "
                            + Double.longBitsToDouble(bits[i]);
                }
            }
            return null;
        }
    }

    static boolean isGraph(File archive) throws IOException {
        try (ZipFile z = new ZipFile(archive)) {
            ZipEntry e = z.getEntry("configuration.json");
            if (e == null) throw new IOException("no configuration.json in " + archive);
            StringBuilder sb = new StringBuilder();
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(z.getInputStream(e), StandardCharsets.UTF_8))) {
                char[] buf = new char[8192];
                int k;
                while ((k = r.read(buf)) > 0) sb.append(buf, 0, k);
            }
            return sb.indexOf("\"networkInputs\"") >= 0;
        }
    }

    static boolean hasEntry(File archive, String name) throws IOException {
        try (ZipFile z = new ZipFile(archive)) {
            return z.getEntry(name) != null;
        }
    }

    static Model restore(File archive, boolean loadUpdater) throws IOException {
        if (isGraph(archive)) return ModelSerializer.restoreComputationGraph(archive, loadUpdater);
        return ModelSerializer.restoreMultiLayerNetwork(archive, loadUpdater);
    }

    static String kindOf(Model m) {
        return m instanceof ComputationGraph ? "ComputationGraph" : "MultiLayerNetwork";
    }

    static String configJson(Model m) {
        if (m instanceof ComputationGraph) return ((ComputationGraph) m).getConfiguration().toJson();
        return ((MultiLayerNetwork) m).getLayerWiseConfigurations().toJson();
    }

    static INDArray updaterState(Model m) {
        if (m instanceof ComputationGraph) {
            ComputationGraph g = (ComputationGraph) m;
            return g.getUpdater() == null ? null : g.getUpdater().getStateViewArray();
        }
        Updater u = ((MultiLayerNetwork) m).getUpdater();
        return u == null ? null : u.getStateViewArray();
    }

    static INDArray[] output(Model m, INDArray input) {
        if (m instanceof ComputationGraph) return ((ComputationGraph) m).output(false, input);
        return new INDArray[] {((MultiLayerNetwork) m).output(input, false)};
    }

    /** Everything listed in the class comment; input may be null (no output). */
    static Values capture(Model m, INDArray input, boolean withUpdater) {
        Values v = new Values(kindOf(m));
        v.arrays.put("params", Arr.of(m.params()));
        for (Map.Entry<String, INDArray> e : m.paramTable().entrySet()) {
            v.arrays.put("param:" + e.getKey(), Arr.of(e.getValue()));
        }
        if (withUpdater) {
            INDArray u = updaterState(m);
            if (u != null) v.arrays.put("updater", Arr.of(u));
        }
        if (input != null) {
            v.arrays.put("input", Arr.of(input));
            INDArray[] out = output(m, input);
            for (int i = 0; i < out.length; i++) v.arrays.put("output:" + i, Arr.of(out[i]));
        }
        return v;
    }

    void write(File f) throws IOException {
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(f.toPath(), StandardCharsets.UTF_8))) {
            w.println("kind " + kind);
            for (Map.Entry<String, Arr> e : arrays.entrySet()) {
                Arr a = e.getValue();
                StringBuilder sb = new StringBuilder();
                sb.append("array ").append(e.getKey()).append(' ').append(a.dtype).append(' ')
                        .append(a.shapeString().isEmpty() ? "-" : a.shapeString()).append(' ').append(a.bits.length);
                for (long b : a.bits) sb.append(' ').append(String.format("%016x", b));
                w.println(sb);
            }
        }
    }

    static Values read(File f) throws IOException {
        Values v = null;
        for (String line : Files.readAllLines(f.toPath(), StandardCharsets.UTF_8)) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] t = line.split(" ");
            if (t[0].equals("kind")) {
                v = new Values(t[1]);
            } else if (t[0].equals("array") && v != null) {
                int[] shape;
                if (t[3].equals("-")) {
                    shape = new int[0];
                } else {
                    String[] s = t[3].split(",");
                    shape = new int[s.length];
                    for (int i = 0; i < s.length; i++) shape[i] = Integer.parseInt(s[i]);
                }
                int n = Integer.parseInt(t[4]);
                if (t.length != 5 + n) throw new IOException(f + ": array " + t[1] + ": expected " + n + " values");
                long[] bits = new long[n];
                for (int i = 0; i < n; i++) bits[i] = Long.parseUnsignedLong(t[5 + i], 16);
                v.arrays.put(t[1], new Arr(t[2], shape, bits));
            } else {
                throw new IOException(f + ": bad line: " + (line.length() > 60 ? line.substring(0, 60) : line));
            }
        }
        if (v == null) throw new IOException(f + ": no 'kind' line");
        return v;
    }

    static List<String> names(Values v, String prefix) {
        List<String> r = new ArrayList<>();
        for (String k : v.arrays.keySet()) if (k.startsWith(prefix)) r.add(k);
        return r;
    }
}

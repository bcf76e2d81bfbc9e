package dlz.interop;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * DL4J side of test/bench/run.sh.
 *
 *   Bench ARCHIVE OUT SIZE [RUNS [SAVE_RUNS [WARMUP]]]
 *
 * Builds a MultiLayerNetwork of FLOAT Dense layers (1000 inputs, three tanh
 * hidden layers of equal width, 10 softmax outputs) with about SIZE
 * parameters and an Adam updater, trains it one step on fixed random data so
 * that the updater state holds real, nonzero values, and writes it to ARCHIVE
 * with ModelSerializer.writeModel(net, file, true).  Then, in this JVM, runs
 * each restore WARMUP times (default 2) untimed and RUNS times (default 5)
 * timed, and the write once untimed and SAVE_RUNS times (default 3) timed, and
 * prints the best time of each:
 *
 *   dl4j_restore_no_updater   ModelSerializer.restoreMultiLayerNetwork(file, false)
 *   dl4j_restore_with_updater ModelSerializer.restoreMultiLayerNetwork(file, true)
 *   dl4j_decode_no_updater    ZipFile + configuration.json as a String +
 *                             Nd4j.read(coefficients.bin): array decoding only
 *   dl4j_decode_with_updater  the same plus Nd4j.read(updaterState.bin)
 *   dl4j_write_with_updater   ModelSerializer.writeModel(net, OUT, true)
 *
 * Output lines ("name value..."), everything else on stderr or after '#':
 *   params N / updater_state N / archive_bytes N / out_bytes N
 *   checksum_coefficients X / checksum_updater X   (sum of the raw IEEE bits
 *                                                   of every float, mod 2^64)
 *   dl4j_<op> BEST_SECONDS PEAK_RSS_KIB
 * PEAK_RSS_KIB is the process's VmHWM over that operation's runs, reset
 * (through /proc/self/clear_refs) after a System.gc() before the runs; it
 * includes the JVM, the heap and ND4J's off-heap buffers; -1 when Linux does
 * not allow the reset.
 */
public final class Bench {
    private Bench() {}

    static volatile double sink;

    interface Op {
        void run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || args.length > 6) {
            System.err.println("usage: Bench ARCHIVE OUT SIZE [RUNS [SAVE_RUNS [WARMUP]]]");
            System.exit(2);
        }
        File archive = new File(args[0]);
        File out = new File(args[1]);
        long size = Long.parseLong(args[2]);
        int runs = args.length > 3 ? Math.max(1, Integer.parseInt(args[3])) : 5;
        int saveRuns = args.length > 4 ? Math.max(1, Integer.parseInt(args[4])) : 3;
        int warmup = args.length > 5 ? Math.max(0, Integer.parseInt(args[5])) : 2;

        MultiLayerNetwork net = build(size);
        long nParams = net.numParams();
        INDArray state = net.getUpdater().getStateViewArray();
        System.out.println("params " + nParams);
        System.out.println("updater_state " + state.length());
        System.out.println("# dl4j " + Summ.dl4jVersion() + ", java " + System.getProperty("java.version")
                + ", hidden width " + width(size) + ", updater state nonzero fraction "
                + String.format("%.4f", nonzeroFraction(state)));
        ModelSerializer.writeModel(net, archive, true);
        System.out.println("archive_bytes " + archive.length());

        // The archive must round-trip before anything is timed.
        MultiLayerNetwork back = ModelSerializer.restoreMultiLayerNetwork(archive, true);
        if (!back.params().equals(net.params())
                || !back.getUpdater().getStateViewArray().equals(state)) {
            throw new IllegalStateException("restored network differs from the saved one");
        }
        back = null;
        System.out.println("checksum_coefficients " + Long.toUnsignedString(bitSum(net.params())));
        System.out.println("checksum_updater " + Long.toUnsignedString(bitSum(state)));

        final MultiLayerNetwork saved = net;
        time("dl4j_restore_no_updater", runs, warmup, () -> {
            MultiLayerNetwork m = ModelSerializer.restoreMultiLayerNetwork(archive, false);
            sink += m.numParams();
        });
        time("dl4j_restore_with_updater", runs, warmup, () -> {
            MultiLayerNetwork m = ModelSerializer.restoreMultiLayerNetwork(archive, true);
            sink += m.numParams() + m.getUpdater().getStateViewArray().length();
        });
        time("dl4j_decode_no_updater", runs, warmup, () -> decode(archive, false));
        time("dl4j_decode_with_updater", runs, warmup, () -> decode(archive, true));
        time("dl4j_write_with_updater", saveRuns, 1, () -> ModelSerializer.writeModel(saved, out, true));
        System.out.println("out_bytes " + out.length());
        Runtime rt = Runtime.getRuntime();
        System.out.println("# java heap: max " + (rt.maxMemory() >> 20) + " MiB, committed "
                + (rt.totalMemory() >> 20) + " MiB at the end; process VmHWM " + hwm() + " KiB");
        System.out.println("# sink " + sink);
    }

    /** Width of the three hidden layers for about {@code size} parameters. */
    static int width(long size) {
        // params = 1000w + w + 2(w^2 + w) + 10w + 10 = 2w^2 + 1013w + 10
        double w = (-1013.0 + Math.sqrt(1013.0 * 1013.0 + 8.0 * Math.max(0, size - 10))) / 4.0;
        return (int) Math.max(1, Math.round(w));
    }

    static MultiLayerNetwork build(long size) {
        int w = width(size);
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(12345).dataType(DataType.FLOAT)
                .updater(new Adam(1e-3)).weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nIn(1000).nOut(w).activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nIn(w).nOut(w).activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nIn(w).nOut(w).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(w).nOut(10)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        Random r = new Random(1001);
        int batch = 32;
        float[] x = new float[batch * 1000];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        float[] y = new float[batch * 10];
        for (int i = 0; i < batch; i++) y[i * 10 + r.nextInt(10)] = 1f;
        net.fit(new DataSet(Nd4j.create(x, new long[] {batch, 1000}, 'c'), Nd4j.create(y, new long[] {batch, 10}, 'c')));
        return net;
    }

    static void decode(File archive, boolean withUpdater) throws IOException {
        try (ZipFile zf = new ZipFile(archive)) {
            String json = new String(readAll(zf, "configuration.json"), StandardCharsets.UTF_8);
            INDArray c = readArray(zf, "coefficients.bin");
            double s = json.length() + c.length();
            if (withUpdater) s += readArray(zf, "updaterState.bin").length();
            sink += s;
        }
    }

    static byte[] readAll(ZipFile zf, String name) throws IOException {
        ZipEntry e = zf.getEntry(name);
        if (e == null) throw new IOException(name + " missing");
        try (InputStream in = zf.getInputStream(e)) {
            return in.readAllBytes();
        }
    }

    static INDArray readArray(ZipFile zf, String name) throws IOException {
        ZipEntry e = zf.getEntry(name);
        if (e == null) throw new IOException(name + " missing");
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(zf.getInputStream(e)))) {
            return Nd4j.read(in);
        }
    }

    static void time(String name, int runs, int warmup, Op op) throws Exception {
        for (int i = 0; i < warmup; i++) op.run();
        System.gc();
        Thread.sleep(300); // let ND4J's deallocator threads release off-heap buffers
        boolean reset = resetHwm();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            op.run();
            best = Math.min(best, (System.nanoTime() - t0) * 1e-9);
        }
        System.out.println(name + " " + String.format("%.6f", best) + " " + (reset ? hwm() : -1));
        System.out.flush();
    }

    static boolean resetHwm() {
        try (FileOutputStream f = new FileOutputStream("/proc/self/clear_refs")) {
            f.write('5');
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static long hwm() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | NumberFormatException e) {
            // fall through
        }
        return -1;
    }

    static float[] floats(INDArray a) {
        if (a.dataType() != DataType.FLOAT) throw new IllegalStateException("expected FLOAT, got " + a.dataType());
        return a.dup('c').data().asFloat();
    }

    static long bitSum(INDArray a) {
        long s = 0;
        for (float f : floats(a)) s += Float.floatToRawIntBits(f) & 0xffffffffL;
        return s;
    }

    static double nonzeroFraction(INDArray a) {
        float[] v = floats(a);
        long nz = 0;
        for (float f : v) if (f != 0f) nz++;
        return v.length == 0 ? 0 : (double) nz / v.length;
    }
}

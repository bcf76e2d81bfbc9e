package dlz.interop;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's own output of models on given inputs, for the ONNX export test
 * (test/onnx/check.py).
 *
 *   Output DIR...
 *
 * Each DIR holds "model" (one line: the archive's path), "kind" ("MLN" or
 * "CG") and the inputs in0.npy, in1.npy ...; this writes DL4J's
 * output(input, train=false) as out0.npy, out1.npy ... next to them.  A model
 * DL4J cannot run gets "error.txt" with the exception instead.
 */
public final class Output {
    private Output() {}

    public static void main(String[] args) throws Exception {
        for (String d : args) {
            File dir = new File(d);
            try {
                run(dir);
            } catch (Exception | Error e) {
                Files.write(new File(dir, "error.txt").toPath(),
                        e.toString().getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private static String read(File f) throws Exception {
        return new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8).trim();
    }

    private static void run(File dir) throws Exception {
        String model = read(new File(dir, "model"));
        String kind = read(new File(dir, "kind"));
        List<INDArray> in = new ArrayList<>();
        for (int i = 0; new File(dir, "in" + i + ".npy").exists(); i++) {
            in.add(Nd4j.createFromNpyFile(new File(dir, "in" + i + ".npy")));
        }
        INDArray[] out;
        if (kind.equals("MLN")) {
            MultiLayerNetwork net = ModelSerializer.restoreMultiLayerNetwork(new File(model), false);
            out = new INDArray[] {net.output(in.get(0), false)};
        } else {
            ComputationGraph g = ModelSerializer.restoreComputationGraph(new File(model), false);
            out = g.output(false, in.toArray(new INDArray[0]));
        }
        for (int i = 0; i < out.length; i++) {
            Nd4j.writeAsNumpy(out[i].dup('c'), new File(dir, "out" + i + ".npy"));
        }
        System.out.println(dir + ": " + out.length + " output(s) " + Arrays.toString(out[0].shape()));
    }
}

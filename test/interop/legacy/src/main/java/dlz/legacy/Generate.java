package dlz.legacy;

import java.io.File;
import java.util.Random;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GravesLSTM;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Writes small models with DL4J 0.9.1's own ModelSerializer, each trained for 3 fit steps on
 * random data (so the updater state is not zero), and next to each {@code X.zip} a
 * {@code X.values} file with what DL4J held in memory (see {@link Values}).
 *
 * <pre>
 * Generate OUTDIR            FLOAT models (run with the default data type)
 * Generate --double OUTDIR   DOUBLE models (run with -Ddtype=double)
 * </pre>
 */
public final class Generate {
    private static final int SEED = 12345;

    private static INDArray gaussian(Random r, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = r.nextGaussian();
        return Nd4j.create(d, shape, 'c');
    }

    private static INDArray oneHot(Random r, int rows, int classes) {
        INDArray l = Nd4j.zeros(rows, classes);
        for (int i = 0; i < rows; i++) l.putScalar(i, r.nextInt(classes), 1.0);
        return l;
    }

    private static INDArray oneHotSeq(Random r, int rows, int classes, int steps) {
        INDArray l = Nd4j.zeros(new int[] {rows, classes, steps}, 'c');
        for (int i = 0; i < rows; i++) {
            for (int t = 0; t < steps; t++) l.putScalar(new int[] {i, r.nextInt(classes), t}, 1.0);
        }
        return l;
    }

    private static void save(Model m, INDArray input, File dir, String name) throws Exception {
        File zip = new File(dir, name + ".zip");
        ModelSerializer.writeModel(m, zip, true);
        Values.capture(m, input, true).write(new File(dir, name + ".values"));
        System.out.println("wrote " + zip);
    }

    private static void denseMln(File dir, String name, org.nd4j.linalg.learning.config.IUpdater updater)
            throws Exception {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(SEED)
                .weightInit(WeightInit.XAVIER).updater(updater).list()
                .layer(0, new DenseLayer.Builder().nIn(4).nOut(5).activation(Activation.TANH).build())
                .layer(1, new OutputLayer.Builder(LossFunction.MCXENT).nIn(5).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        Random r = new Random(1);
        for (int i = 0; i < 3; i++) net.fit(new DataSet(gaussian(r, 8, 4), oneHot(r, 8, 3)));
        save(net, gaussian(r, 2, 4), dir, name);
    }

    private static void cnnMln(File dir, String name) throws Exception {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(SEED)
                .weightInit(WeightInit.XAVIER).updater(new Adam(0.01, 0.9, 0.999, 1e-8)).list()
                .layer(0, new ConvolutionLayer.Builder(3, 3).nIn(1).nOut(3).activation(Activation.RELU).build())
                .layer(1, new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2)
                        .stride(2, 2).build())
                .layer(2, new BatchNormalization.Builder().build())
                .layer(3, new OutputLayer.Builder(LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX)
                        .build())
                .setInputType(InputType.convolutionalFlat(8, 8, 1)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        Random r = new Random(2);
        for (int i = 0; i < 3; i++) net.fit(new DataSet(gaussian(r, 6, 64), oneHot(r, 6, 3)));
        save(net, gaussian(r, 2, 64), dir, name);
    }

    private static void lstmCg(File dir, String name, boolean graves) throws Exception {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(SEED)
                .weightInit(WeightInit.XAVIER).updater(new RmsProp(0.01)).graphBuilder().addInputs("in")
                .addLayer("lstm", graves
                        ? new GravesLSTM.Builder().nIn(3).nOut(4).activation(Activation.TANH).build()
                        : new LSTM.Builder().nIn(3).nOut(4).activation(Activation.TANH).build(), "in")
                .addLayer("out", new RnnOutputLayer.Builder(LossFunction.MCXENT).nIn(4).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "lstm")
                .setOutputs("out").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        Random r = new Random(3);
        for (int i = 0; i < 3; i++) g.fit(new DataSet(gaussian(r, 4, 3, 5), oneHotSeq(r, 4, 2, 5)));
        save(g, gaussian(r, 2, 3, 5), dir, name);
    }

    public static void main(String[] args) throws Exception {
        boolean dbl = args.length == 2 && args[0].equals("--double");
        if (args.length != 1 && !dbl) {
            System.err.println("usage: Generate [--double] OUTDIR");
            System.exit(2);
        }
        File dir = new File(args[args.length - 1]);
        if (!dir.isDirectory() && !dir.mkdirs()) throw new IllegalStateException("cannot create " + dir);
        if (dbl) {
            if (Nd4j.dataType() != DataBuffer.Type.DOUBLE) {
                throw new IllegalStateException("--double needs -Ddtype=double (data type is " + Nd4j.dataType() + ")");
            }
            denseMln(dir, "mln-dense-adam-double", new Adam(0.01, 0.9, 0.999, 1e-8));
            lstmCg(dir, "cg-graveslstm-rmsprop-double", true);
        } else {
            denseMln(dir, "mln-dense-nesterovs-float", new Nesterovs(0.1, 0.9));
            cnnMln(dir, "mln-cnn-bn-adam-float");
            lstmCg(dir, "cg-lstm-rmsprop-float", false);
        }
    }
}

package dlz.interop;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.conf.layers.GravesLSTM;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.dataset.api.preprocessor.DataNormalization;
import org.nd4j.linalg.dataset.api.preprocessor.ImagePreProcessingScaler;
import org.nd4j.linalg.dataset.api.preprocessor.MultiNormalizerHybrid;
import org.nd4j.linalg.dataset.api.preprocessor.MultiNormalizerMinMaxScaler;
import org.nd4j.linalg.dataset.api.preprocessor.MultiNormalizerStandardize;
import org.nd4j.linalg.dataset.api.preprocessor.Normalizer;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerMinMaxScaler;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerStandardize;
import org.nd4j.linalg.dataset.api.preprocessor.serializer.NormalizerSerializer;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Writes DL4J ModelSerializer archives plus X.expected.json files describing
 * them, and a manifest.json, into the given directory.
 *
 *   Generate OUTDIR
 *
 * Everything is deterministic: fixed seeds for weight init and java.util.Random
 * for all data.  Existing *.zip, *.bin and *.json files in OUTDIR are removed first.
 */
public class Generate {
    static final long SEED = 12345;
    static final int TRAIN_STEPS = 3;

    final Path out;
    final String version = Summ.dl4jVersion();
    final List<Object> manifestArchives = new ArrayList<>();
    final List<Object> manifestStreams = new ArrayList<>();
    final List<Object> notes = new ArrayList<>();
    int warnings = 0;

    Generate(Path out) {
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: Generate OUTDIR");
            System.exit(2);
        }
        Path dir = Paths.get(args[0]);
        Files.createDirectories(dir);
        try (var s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                if (n.endsWith(".zip") || n.endsWith(".json") || n.endsWith(".bin")) Files.delete(p);
            }
        }
        Nd4j.getRandom().setSeed(SEED);
        Generate g = new Generate(dir);
        g.run();
        System.out.println("wrote " + g.manifestArchives.size() + " archives and " + g.manifestStreams.size()
                + " normalizer streams to " + dir + " (DL4J " + g.version + ", " + g.warnings + " warnings)");
    }

    // ------------------------------------------------------------------ data

    static INDArray randn(Random r, DataType dt, long... shape) {
        int n = 1;
        for (long s : shape) n *= (int) s;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextGaussian();
        return Nd4j.create(v, shape, Summ.cStrides(shape), 'c', DataType.DOUBLE).castTo(dt);
    }

    /** Gaussian with per-column scale/offset so normalizer stats are non-trivial. */
    static INDArray features(Random r, DataType dt, int rows, int cols) {
        double[] v = new double[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) v[i * cols + j] = r.nextGaussian() * (j + 1) + 3.0 * j - 2.0;
        long[] shape = {rows, cols};
        return Nd4j.create(v, shape, Summ.cStrides(shape), 'c', DataType.DOUBLE).castTo(dt);
    }

    static INDArray oneHot(Random r, DataType dt, int rows, int classes) {
        double[] v = new double[rows * classes];
        for (int i = 0; i < rows; i++) v[i * classes + r.nextInt(classes)] = 1.0;
        long[] shape = {rows, classes};
        return Nd4j.create(v, shape, Summ.cStrides(shape), 'c', DataType.DOUBLE).castTo(dt);
    }

    static INDArray oneHotRnn(Random r, DataType dt, int mb, int classes, int t) {
        double[] v = new double[mb * classes * t];
        for (int i = 0; i < mb; i++)
            for (int k = 0; k < t; k++) v[i * classes * t + r.nextInt(classes) * t + k] = 1.0;
        long[] shape = {mb, classes, t};
        return Nd4j.create(v, shape, Summ.cStrides(shape), 'c', DataType.DOUBLE).castTo(dt);
    }

    static INDArray indices(Random r, DataType dt, int rows, int max) {
        double[] v = new double[rows];
        for (int i = 0; i < rows; i++) v[i] = r.nextInt(max);
        long[] shape = {rows, 1};
        return Nd4j.create(v, shape, Summ.cStrides(shape), 'c', DataType.DOUBLE).castTo(dt);
    }

    static INDArray pixels(Random r, DataType dt, long... shape) {
        int n = 1;
        for (long s : shape) n *= (int) s;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextInt(256);
        return Nd4j.create(v, shape, Summ.cStrides(shape), 'c', DataType.DOUBLE).castTo(dt);
    }

    // ---------------------------------------------------------------- models

    /** A model to save: the network, data to train it on, and a fixed input for output(). */
    static final class Net {
        Model model;
        Object train;        // DataSet or MultiDataSet, or null for no training
        INDArray[] input;
        String updaterName;
        List<String> covers = new ArrayList<>();
    }

    static NeuralNetConfiguration.Builder base(DataType dt, IUpdater u) {
        return new NeuralNetConfiguration.Builder().seed(SEED).dataType(dt).updater(u).weightInit(WeightInit.XAVIER);
    }

    static String uname(IUpdater u) {
        return u.getClass().getSimpleName();
    }

    static Net mlnDense(DataType dt, IUpdater u) {
        MultiLayerConfiguration conf = base(dt, u).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(5).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(5).nOut(3).activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        Random r = new Random(1001);
        Net n = new Net();
        n.model = net;
        n.train = new DataSet(randn(r, dt, 8, 4), oneHot(r, dt, 8, 3));
        n.input = new INDArray[] {randn(new Random(777), dt, 2, 4)};
        n.updaterName = uname(u);
        n.covers.addAll(List.of("MultiLayerNetwork", "DenseLayer", "OutputLayer", dt.name(), uname(u)));
        return n;
    }

    static Net mlnCnn(DataType dt, IUpdater u) {
        MultiLayerConfiguration conf = base(dt, u).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nIn(1).nOut(3).stride(1, 1).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new BatchNormalization.Builder().build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(8, 8, 1))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        Random r = new Random(1002);
        Net n = new Net();
        n.model = net;
        n.train = new DataSet(randn(r, dt, 8, 1, 8, 8), oneHot(r, dt, 8, 3));
        n.input = new INDArray[] {randn(new Random(777), dt, 2, 1, 8, 8)};
        n.updaterName = uname(u);
        n.covers.addAll(List.of("MultiLayerNetwork", "ConvolutionLayer", "SubsamplingLayer", "BatchNormalization",
                "OutputLayer", "CnnToFeedForwardPreProcessor", dt.name(), uname(u)));
        return n;
    }

    static Net mlnRnn(String kind, DataType dt, IUpdater u) {
        NeuralNetConfiguration.ListBuilder lb = base(dt, u).list();
        int outIn = 4;
        if (kind.equals("LSTM")) {
            lb.layer(new LSTM.Builder().nIn(3).nOut(4).activation(Activation.TANH).build());
        } else if (kind.equals("GravesLSTM")) {
            lb.layer(new GravesLSTM.Builder().nIn(3).nOut(4).activation(Activation.TANH).build());
        } else {
            lb.layer(new Bidirectional(Bidirectional.Mode.CONCAT,
                    new LSTM.Builder().nIn(3).nOut(4).activation(Activation.TANH).build()));
            outIn = 8;
        }
        lb.layer(new RnnOutputLayer.Builder(LossFunction.MCXENT).nIn(outIn).nOut(2).activation(Activation.SOFTMAX).build());
        lb.setInputType(InputType.recurrent(3));
        MultiLayerNetwork net = new MultiLayerNetwork(lb.build());
        net.init();
        Random r = new Random(1003);
        Net n = new Net();
        n.model = net;
        n.train = new DataSet(randn(r, dt, 4, 3, 5), oneHotRnn(r, dt, 4, 2, 5));
        n.input = new INDArray[] {randn(new Random(777), dt, 2, 3, 5)};
        n.updaterName = uname(u);
        n.covers.addAll(List.of("MultiLayerNetwork", kind.equals("Bidirectional") ? "Bidirectional(LSTM)" : kind,
                "RnnOutputLayer", dt.name(), uname(u)));
        return n;
    }

    static Net mlnEmbedding(DataType dt, IUpdater u) {
        MultiLayerConfiguration conf = base(dt, u).list()
                .layer(new EmbeddingLayer.Builder().nIn(10).nOut(4).build())
                .layer(new DenseLayer.Builder().nIn(4).nOut(3).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(3).nOut(2).activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        Random r = new Random(1004);
        Net n = new Net();
        n.model = net;
        n.train = new DataSet(indices(r, dt, 8, 10), oneHot(r, dt, 8, 2));
        n.input = new INDArray[] {indices(new Random(777), dt, 3, 10)};
        n.updaterName = uname(u);
        n.covers.addAll(List.of("MultiLayerNetwork", "EmbeddingLayer", "DenseLayer", "OutputLayer", dt.name(), uname(u)));
        return n;
    }

    static Net mlnNoParams(DataType dt) {
        MultiLayerConfiguration conf = base(dt, new Sgd(0.1)).list()
                .layer(new ActivationLayer.Builder().activation(Activation.TANH).build())
                .layer(new LossLayer.Builder(LossFunction.MSE).activation(Activation.IDENTITY).build())
                .setInputType(InputType.feedForward(3))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        Net n = new Net();
        n.model = net;
        n.train = null;
        n.input = new INDArray[] {randn(new Random(777), dt, 2, 3)};
        n.updaterName = "Sgd";
        n.covers.addAll(List.of("MultiLayerNetwork", "ActivationLayer", "LossLayer", "no parameters", dt.name()));
        return n;
    }

    static Net cgMerge(DataType dt, IUpdater u) {
        ComputationGraphConfiguration conf = base(dt, u).graphBuilder()
                .addInputs("in1", "in2")
                .addLayer("dense1", new DenseLayer.Builder().nIn(3).nOut(4).activation(Activation.TANH).build(), "in1")
                .addLayer("dense2", new DenseLayer.Builder().nIn(2).nOut(3).activation(Activation.RELU).build(), "in2")
                .addVertex("merge", new MergeVertex(), "dense1", "dense2")
                .addLayer("out1", new OutputLayer.Builder(LossFunction.MCXENT).nIn(7).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "merge")
                .addLayer("out2", new OutputLayer.Builder(LossFunction.MSE).nIn(7).nOut(2)
                        .activation(Activation.IDENTITY).build(), "merge")
                .setOutputs("out1", "out2")
                .build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        Random r = new Random(1005);
        Net n = new Net();
        n.model = g;
        n.train = new MultiDataSet(new INDArray[] {randn(r, dt, 8, 3), randn(r, dt, 8, 2)},
                new INDArray[] {oneHot(r, dt, 8, 3), randn(r, dt, 8, 2)});
        Random ri = new Random(777);
        n.input = new INDArray[] {randn(ri, dt, 2, 3), randn(ri, dt, 2, 2)};
        n.updaterName = uname(u);
        n.covers.addAll(List.of("ComputationGraph", "2 inputs", "2 outputs", "DenseLayer", "MergeVertex", "OutputLayer",
                dt.name(), uname(u)));
        return n;
    }

    static Net cgLstm(DataType dt, IUpdater u) {
        ComputationGraphConfiguration conf = base(dt, u).graphBuilder()
                .addInputs("in")
                .addLayer("lstm", new LSTM.Builder().nIn(3).nOut(4).activation(Activation.TANH).build(), "in")
                .addLayer("out", new RnnOutputLayer.Builder(LossFunction.MCXENT).nIn(4).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "lstm")
                .setOutputs("out")
                .setInputTypes(InputType.recurrent(3))
                .build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        Random r = new Random(1006);
        Net n = new Net();
        n.model = g;
        n.train = new DataSet(randn(r, dt, 4, 3, 5), oneHotRnn(r, dt, 4, 2, 5));
        n.input = new INDArray[] {randn(new Random(777), dt, 2, 3, 5)};
        n.updaterName = uname(u);
        n.covers.addAll(List.of("ComputationGraph", "LSTM", "RnnOutputLayer", dt.name(), uname(u)));
        return n;
    }

    static void train(Net n) {
        if (n.train == null) return;
        for (int i = 0; i < TRAIN_STEPS; i++) {
            if (n.model instanceof MultiLayerNetwork) {
                ((MultiLayerNetwork) n.model).fit((DataSet) n.train);
            } else if (n.train instanceof DataSet) {
                ((ComputationGraph) n.model).fit((DataSet) n.train);
            } else {
                ((ComputationGraph) n.model).fit((MultiDataSet) n.train);
            }
        }
    }

    // ----------------------------------------------------------- normalizers

    /** A fitted normalizer plus fixed data for the transform/revert check. */
    static final class Norm {
        String name;
        Normalizer<?> normalizer;
        INDArray[] features;
        INDArray[] labels;
        List<String> covers = new ArrayList<>();
    }

    static Norm norm(String name) throws Exception {
        DataType dt = DataType.FLOAT;
        Random r = new Random(2000 + name.hashCode() % 1000);
        Random fixed = new Random(3000);
        Norm nm = new Norm();
        nm.name = name;
        switch (name) {
            case "standardize":
            case "standardize-labels":
            case "standardize-double": {
                if (name.endsWith("double")) dt = DataType.DOUBLE;
                NormalizerStandardize s = new NormalizerStandardize();
                s.fitLabel(name.endsWith("labels"));
                s.fit(new DataSet(features(r, dt, 20, 4), features(r, dt, 20, 3)));
                nm.normalizer = s;
                nm.features = new INDArray[] {features(fixed, dt, 3, 4)};
                nm.labels = new INDArray[] {features(fixed, dt, 3, 3)};
                break;
            }
            case "minmax":
            case "minmax-labels": {
                NormalizerMinMaxScaler s = name.endsWith("labels") ? new NormalizerMinMaxScaler(-1.0, 1.0)
                        : new NormalizerMinMaxScaler();
                s.fitLabel(name.endsWith("labels"));
                s.fit(new DataSet(features(r, dt, 20, 4), features(r, dt, 20, 3)));
                nm.normalizer = s;
                nm.features = new INDArray[] {features(fixed, dt, 3, 4)};
                nm.labels = new INDArray[] {features(fixed, dt, 3, 3)};
                break;
            }
            case "image": {
                ImagePreProcessingScaler s = new ImagePreProcessingScaler(-1.0, 1.0);
                s.fit(new DataSet(pixels(r, dt, 4, 1, 3, 3), oneHot(r, dt, 4, 2)));
                nm.normalizer = s;
                nm.features = new INDArray[] {pixels(fixed, dt, 2, 1, 3, 3)};
                nm.labels = null;
                break;
            }
            case "image-default": {
                ImagePreProcessingScaler s = new ImagePreProcessingScaler();
                nm.normalizer = s;
                nm.features = new INDArray[] {pixels(fixed, dt, 2, 1, 3, 3)};
                nm.labels = null;
                break;
            }
            case "multistandardize":
            case "multistandardize-labels": {
                MultiNormalizerStandardize s = new MultiNormalizerStandardize();
                s.fitLabel(name.endsWith("labels"));
                s.fit(multi(r, dt, 20));
                nm.normalizer = s;
                MultiDataSet m = multi(fixed, dt, 3);
                nm.features = m.getFeatures();
                nm.labels = m.getLabels();
                break;
            }
            case "multiminmax":
            case "multiminmax-labels": {
                MultiNormalizerMinMaxScaler s = name.endsWith("labels") ? new MultiNormalizerMinMaxScaler(-1.0, 1.0)
                        : new MultiNormalizerMinMaxScaler();
                s.fitLabel(name.endsWith("labels"));
                s.fit(multi(r, dt, 20));
                nm.normalizer = s;
                MultiDataSet m = multi(fixed, dt, 3);
                nm.features = m.getFeatures();
                nm.labels = m.getLabels();
                break;
            }
            case "hybrid": {
                MultiNormalizerHybrid h = new MultiNormalizerHybrid()
                        .minMaxScaleAllInputs()
                        .standardizeInput(1)
                        .standardizeOutput(0)
                        .minMaxScaleOutput(1, -1.0, 1.0);
                h.fit(multi(r, dt, 20));
                nm.normalizer = h;
                MultiDataSet m = multi(fixed, dt, 3);
                nm.features = m.getFeatures();
                nm.labels = m.getLabels();
                break;
            }
            default:
                throw new IllegalArgumentException(name);
        }
        nm.covers.add(nm.normalizer.getType().name());
        nm.covers.add(nm.normalizer.getClass().getSimpleName());
        if (name.endsWith("labels")) nm.covers.add("fitLabel");
        if (dt != DataType.FLOAT) nm.covers.add(dt.name() + " stats");
        return nm;
    }

    /** MultiDataSet shaped like the cg-merge graph: inputs [n,3],[n,2]; outputs [n,3],[n,2]. */
    static MultiDataSet multi(Random r, DataType dt, int n) {
        return new MultiDataSet(new INDArray[] {features(r, dt, n, 3), features(r, dt, n, 2)},
                new INDArray[] {features(r, dt, n, 3), features(r, dt, n, 2)});
    }

    // --------------------------------------------------------------- objects

    static LinkedHashMap<String, Object> objects() {
        LinkedHashMap<String, Object> m = new LinkedHashMap<>();
        m.put("string", "hello dlz");
        m.put("unicode", "caf\u00e9 \u20ac \uD83D\uDE00 nul[\u0000]");
        StringBuilder big = new StringBuilder();
        for (int i = 0; i < 70000; i++) big.append((char) ('a' + i % 26));
        m.put("long_string", big.toString());
        m.put("integer", 42);
        m.put("negative_integer", -123456789);
        m.put("long", 1234567890123456789L);
        m.put("double", Math.PI);
        m.put("float", 1.5f);
        m.put("boolean", Boolean.TRUE);
        m.put("bytes", new byte[] {0, 1, 2, (byte) 0x7f, (byte) 0x80, (byte) 0xff});
        m.put("floats", new float[] {1.5f, -2f, 0f, Float.MIN_VALUE, Float.NaN});
        m.put("doubles", new double[] {Math.E, -0.0, 1e-300, Double.POSITIVE_INFINITY, Double.NaN});
        m.put("ints", new int[] {1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE});
        m.put("longs", new long[] {1L, -1L, Long.MAX_VALUE, Long.MIN_VALUE});
        m.put("strings", new String[] {"a", "bb", null, "a"});
        ArrayList<Object> list = new ArrayList<>(Arrays.asList("x", 7, 2.5, null, new int[] {1, 2}));
        m.put("arraylist", list);
        HashMap<String, Object> map = new HashMap<>();
        map.put("alpha", 1);
        map.put("beta", "two");
        map.put("gamma", new double[] {3.0});
        m.put("hashmap", map);
        HashMap<String, Object> nested = new HashMap<>();
        ArrayList<Object> inner = new ArrayList<>();
        inner.add(new float[] {0.25f, 0.5f});
        inner.add(new int[] {9, 8, 7});
        inner.add(new String[] {"deep"});
        HashMap<Integer, Object> innerMap = new HashMap<>();
        innerMap.put(1, new long[] {10L});
        inner.add(innerMap);
        nested.put("list", inner);
        nested.put("count", 4L);
        m.put("nested", nested);
        m.put("dir/sub/key", "value under a key containing slashes");
        return m;
    }

    // --------------------------------------------------------------- writing

    Map<String, Object> header(Model model, String name) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", "dlz-expected-1");
        m.put("name", name);
        m.put("kind", Expect.kind(model));
        m.put("dl4j_version", version);
        m.put("dtype", Expect.dtype(model));
        return m;
    }

    static Model restore(File f, String kind, boolean loadUpdater) throws IOException {
        if (kind.equals("ComputationGraph")) return ModelSerializer.restoreComputationGraph(f, loadUpdater);
        return ModelSerializer.restoreMultiLayerNetwork(f, loadUpdater);
    }

    void warn(String s) {
        warnings++;
        System.err.println("WARNING: " + s);
        notes.add(s);
    }

    static boolean finite(INDArray a) {
        if (a == null || a.length() == 0) return true;
        INDArray d = a.castTo(DataType.DOUBLE);
        for (long i = 0; i < d.length(); i++) {
            double v = d.getDouble(i);
            if (Double.isNaN(v) || Double.isInfinite(v)) return false;
        }
        return true;
    }

    /**
     * Writes name.zip (+ name.expected.json) for net, optionally with a normalizer
     * (attach = "writeModel" or "addNormalizerToModel") and objects.
     */
    void archive(String name, Net net, boolean saveUpdater, Norm norm, String attach,
                 LinkedHashMap<String, Object> objects, List<String> extraCovers) throws Exception {
        File f = out.resolve(name + ".zip").toFile();
        Model model = net.model;
        String writerException = null;
        if (norm != null && attach.equals("writeModel")) {
            writerException = writeModelWithNormalizer(model, f, saveUpdater, (DataNormalization) norm.normalizer);
        } else {
            ModelSerializer.writeModel(model, f, saveUpdater);
            if (norm != null) ModelSerializer.addNormalizerToModel(f, norm.normalizer);
        }
        if (objects != null) {
            for (Map.Entry<String, Object> e : objects.entrySet()) ModelSerializer.addObjectToFile(f, e.getKey(), e.getValue());
        }

        Map<String, Object> exp = header(model, name);
        exp.put("saved_with_updater", saveUpdater);
        if (writerException != null) exp.put("writer_exception", writerException);
        List<Object> entries = Expect.entries(f);
        exp.put("entries", entries);
        exp.put("coefficients", Expect.coefficients(model));
        exp.put("params", Expect.params(model));
        Object upd = saveUpdater ? Expect.updater(model) : null;
        exp.put("updater", upd);
        if ((upd != null) != entries.contains("updaterState.bin")) {
            warn(name + ": updater section " + (upd != null) + " but updaterState.bin present="
                    + entries.contains("updaterState.bin"));
        }
        if (!finite(model.params())) warn(name + ": parameters contain NaN/Inf");
        if (saveUpdater && !finite(Expect.updaterState(model))) warn(name + ": updater state contains NaN/Inf");

        exp.put("normalizer", norm == null ? null : Expect.normalizer(norm.normalizer));
        exp.put("normalizer_transform", norm == null ? null : Expect.transform(norm.normalizer, norm.features, norm.labels));

        if (objects != null) {
            Map<String, Object> om = new LinkedHashMap<>();
            for (String key : ModelSerializer.listObjectsInFile(f)) {
                Object v = objects.get(key);
                om.put(key, Expect.object(v, Expect.entryBytes(f, "objects/" + key)));
            }
            if (!om.keySet().equals(objects.keySet())) warn(name + ": listObjectsInFile returned " + om.keySet());
            exp.put("objects", om);
        } else {
            exp.put("objects", null);
        }

        // output: in memory, and after restoring with and without updater
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("inputs", Summ.summaries(net.input));
        INDArray[] mem = Expect.output(model, net.input);
        o.put("outputs", Summ.summaries(mem));
        Map<String, Object> restoreErrors = new LinkedHashMap<>();
        for (boolean lu : new boolean[] {true, false}) {
            String key = lu ? "outputs_restored_with_updater" : "outputs_restored_without_updater";
            try {
                Model r = restore(f, Expect.kind(model), lu);
                List<Object> ro = Summ.summaries(Expect.output(r, net.input));
                o.put(key, ro);
                if (!Json.write(ro).equals(Json.write(o.get("outputs")))) {
                    warn(name + ": " + key + " differs from the in-memory output");
                }
            } catch (Throwable t) {
                o.put(key, null);
                restoreErrors.put(lu ? "with_updater" : "without_updater", t.getClass().getName() + ": " + t.getMessage());
            }
        }
        exp.put("output", o);
        if (!restoreErrors.isEmpty()) {
            exp.put("expect_restore_error", restoreErrors);
            notes.add(name + ": DL4J " + version + " cannot restore this archive: " + restoreErrors);
            System.err.println("NOTE: " + name + " restore failed: " + restoreErrors);
        }
        Json.writeFile(out.resolve(name + ".expected.json"), exp);

        Map<String, Object> man = new LinkedHashMap<>();
        man.put("file", name + ".zip");
        man.put("expected", name + ".expected.json");
        man.put("kind", Expect.kind(model));
        man.put("dtype", Expect.dtype(model));
        man.put("updater", net.updaterName);
        man.put("saved_with_updater", saveUpdater);
        man.put("has_updater_state", entries.contains("updaterState.bin"));
        man.put("normalizer", norm == null ? null : norm.normalizer.getType().name());
        man.put("normalizer_attached_by", norm == null ? null : attach);
        man.put("objects", objects == null ? null : new ArrayList<Object>(objects.keySet()));
        man.put("restorable", restoreErrors.isEmpty());
        if (writerException != null) man.put("writer_exception", writerException);
        List<Object> covers = new ArrayList<>(net.covers);
        if (norm != null) {
            covers.addAll(norm.covers);
            covers.add("normalizer via " + attach);
        }
        if (objects != null) covers.add("objects via addObjectToFile");
        if (!saveUpdater) covers.add("saved without updater");
        if (extraCovers != null) covers.addAll(extraCovers);
        man.put("covers", covers);
        man.put("entries", entries);
        man.put("size_bytes", f.length());
        manifestArchives.add(man);
        System.out.println("archive " + name + ".zip " + f.length() + " bytes " + entries);
    }

    void stream(Norm nm) throws Exception {
        String name = "normalizer-" + nm.name;
        File f = out.resolve(name + ".bin").toFile();
        try (OutputStream os = new FileOutputStream(f)) {
            NormalizerSerializer.getDefault().write(nm.normalizer, os);
        }
        Map<String, Object> exp = new LinkedHashMap<>();
        exp.put("format", "dlz-expected-1");
        exp.put("name", name);
        exp.put("kind", "Normalizer");
        exp.put("dl4j_version", version);
        exp.put("sha256_bytes", Summ.sha256(Files.readAllBytes(f.toPath())));
        exp.put("normalizer", Expect.normalizer(nm.normalizer));
        exp.put("normalizer_transform", Expect.transform(nm.normalizer, nm.features, nm.labels));
        Json.writeFile(out.resolve(name + ".expected.json"), exp);
        Map<String, Object> man = new LinkedHashMap<>();
        man.put("file", name + ".bin");
        man.put("expected", name + ".expected.json");
        man.put("kind", "Normalizer");
        man.put("normalizer", nm.normalizer.getType().name());
        man.put("covers", new ArrayList<Object>(nm.covers));
        man.put("size_bytes", f.length());
        manifestStreams.add(man);
        System.out.println("stream " + f.getName() + " " + f.length() + " bytes");
    }

    Net trained(Net n) {
        train(n);
        return n;
    }

    void run() throws Exception {
        // --- plain models: architectures x dtypes x updaters
        Net dSgd = trained(mlnDense(DataType.FLOAT, new Sgd(0.1)));
        archive("mln-dense-sgd-float", dSgd, true, null, null, null, List.of("Sgd: no updater state"));
        archive("mln-dense-nesterovs-double", trained(mlnDense(DataType.DOUBLE, new Nesterovs(0.1, 0.9))), true,
                null, null, null, null);
        Net dAdam = trained(mlnDense(DataType.FLOAT, new Adam(0.01)));
        archive("mln-dense-adam-float", dAdam, true, null, null, null, null);
        archive("mln-dense-adam-float-noupdater", dAdam, false, null, null, null, null);
        archive("mln-dense-rmsprop-half", trained(mlnDense(DataType.HALF, new RmsProp(0.01))), true,
                null, null, null, null);
        archive("mln-dense-nesterovs-half", trained(mlnDense(DataType.HALF, new Nesterovs(0.1, 0.9))), true,
                null, null, null, null);
        archive("mln-cnn-bn-adam-float", trained(mlnCnn(DataType.FLOAT, new Adam(0.01))), true, null, null, null,
                List.of("BatchNormalization mean/var use NoOp updater (no state)"));
        archive("mln-cnn-bn-nesterovs-double", trained(mlnCnn(DataType.DOUBLE, new Nesterovs(0.05, 0.9))), true,
                null, null, null, null);
        archive("mln-lstm-rmsprop-float", trained(mlnRnn("LSTM", DataType.FLOAT, new RmsProp(0.01))), true,
                null, null, null, null);
        archive("mln-graveslstm-nesterovs-double", trained(mlnRnn("GravesLSTM", DataType.DOUBLE, new Nesterovs(0.1, 0.9))),
                true, null, null, null, null);
        archive("mln-bilstm-adam-float", trained(mlnRnn("Bidirectional", DataType.FLOAT, new Adam(0.01))), true,
                null, null, null, null);
        archive("mln-embedding-adam-float", trained(mlnEmbedding(DataType.FLOAT, new Adam(0.01))), true,
                null, null, null, null);
        archive("mln-noparams-float", mlnNoParams(DataType.FLOAT), true, null, null, null, null);

        Net cgAdam = trained(cgMerge(DataType.FLOAT, new Adam(0.01)));
        archive("cg-merge-adam-float", cgAdam, true, null, null, null, null);
        archive("cg-merge-adam-float-noupdater", cgAdam, false, null, null, null, null);
        archive("cg-merge-nesterovs-half", trained(cgMerge(DataType.HALF, new Nesterovs(0.1, 0.9))), true,
                null, null, null, null);
        archive("cg-lstm-rmsprop-double", trained(cgLstm(DataType.DOUBLE, new RmsProp(0.01))), true,
                null, null, null, null);

        // --- normalizers attached to models
        String[] single = {"standardize", "standardize-labels", "minmax", "minmax-labels", "image"};
        for (String s : single) {
            archive("mln-dense-sgd-float-wm-" + s, dSgd, true, norm(s), "writeModel", null, null);
        }
        for (String s : single) {
            archive("mln-dense-sgd-float-add-" + s, dSgd, true, norm(s), "addNormalizerToModel", null, null);
        }
        String[] multi = {"multistandardize", "multistandardize-labels", "multiminmax", "multiminmax-labels", "hybrid"};
        for (String s : multi) {
            archive("cg-merge-adam-float-add-" + s, cgAdam, true, norm(s), "addNormalizerToModel", null, null);
        }
        // addNormalizerToModel on a file that already has a normalizer: replaces it
        archiveReplace("mln-dense-adam-float-wm-standardize-replaced-minmax", dAdam, norm("standardize"),
                norm("minmax-labels"));

        // --- objects
        archive("mln-dense-sgd-float-objects", dSgd, true, null, null, objects(), null);
        LinkedHashMap<String, Object> few = new LinkedHashMap<>();
        few.put("note", "normalizer first, then objects");
        few.put("labels", new String[] {"cat", "dog"});
        archive("mln-dense-adam-float-wm-standardize-objects", dAdam, true, norm("standardize"), "writeModel", few, null);

        // --- standalone normalizer streams
        for (String s : new String[] {"standardize", "standardize-labels", "standardize-double", "minmax", "minmax-labels",
                "image", "image-default", "multistandardize", "multistandardize-labels", "multiminmax",
                "multiminmax-labels", "hybrid"}) {
            stream(norm(s));
        }

        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("format", "dlz-manifest-1");
        manifest.put("dl4j_version", version);
        manifest.put("java_version", System.getProperty("java.version"));
        manifest.put("archives", manifestArchives);
        manifest.put("normalizer_streams", manifestStreams);
        manifest.put("notes", notes);
        Json.writeFile(out.resolve("manifest.json"), manifest);
    }

    /**
     * ModelSerializer.writeModel(model, file, saveUpdater, normalizer).  The
     * normalizer serializer closes the zip stream it is given; some DL4J versions
     * then fail while closing their own wrappers ("stream is closed") although the
     * archive is already complete.  Returns that exception's text (or null) so it
     * can be recorded; rethrows if the file is not a readable archive.
     */
    String writeModelWithNormalizer(Model model, File f, boolean saveUpdater, DataNormalization n) throws IOException {
        try {
            ModelSerializer.writeModel(model, f, saveUpdater, n);
            return null;
        } catch (IOException e) {
            String msg = e.getClass().getName() + ": " + e.getMessage();
            List<Object> entries;
            try {
                entries = Expect.entries(f);
                try (java.util.zip.ZipFile zf = new java.util.zip.ZipFile(f)) {
                    if (zf.getEntry("normalizer.bin") == null) throw new IOException("no normalizer.bin");
                }
            } catch (IOException e2) {
                throw new IOException("writeModel with normalizer failed and left no usable archive: " + msg, e);
            }
            String note = "writeModel(model, file, saveUpdater, normalizer) threw " + msg
                    + " after writing a complete archive " + entries + " (" + f.getName() + ")";
            if (!writerExceptionNoted) {
                notes.add(note);
                writerExceptionNoted = true;
            }
            System.err.println("NOTE: " + note);
            return msg;
        }
    }

    boolean writerExceptionNoted = false;

    /** Archive written with normalizer `first` via writeModel, then `second` via addNormalizerToModel. */
    void archiveReplace(String name, Net net, Norm first, Norm second) throws Exception {
        File f = out.resolve(name + ".zip").toFile();
        String writerException = writeModelWithNormalizer(net.model, f, true, (DataNormalization) first.normalizer);
        ModelSerializer.addNormalizerToModel(f, second.normalizer);
        Model model = net.model;
        Map<String, Object> exp = header(model, name);
        exp.put("saved_with_updater", true);
        if (writerException != null) exp.put("writer_exception", writerException);
        List<Object> entries = Expect.entries(f);
        exp.put("entries", entries);
        exp.put("coefficients", Expect.coefficients(model));
        exp.put("params", Expect.params(model));
        exp.put("updater", Expect.updater(model));
        exp.put("normalizer", Expect.normalizer(second.normalizer));
        exp.put("normalizer_transform", Expect.transform(second.normalizer, second.features, second.labels));
        exp.put("objects", null);
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("inputs", Summ.summaries(net.input));
        o.put("outputs", Summ.summaries(Expect.output(model, net.input)));
        for (boolean lu : new boolean[] {true, false}) {
            Model r = restore(f, Expect.kind(model), lu);
            o.put(lu ? "outputs_restored_with_updater" : "outputs_restored_without_updater",
                    Summ.summaries(Expect.output(r, net.input)));
        }
        exp.put("output", o);
        Json.writeFile(out.resolve(name + ".expected.json"), exp);
        Map<String, Object> man = new LinkedHashMap<>();
        man.put("file", name + ".zip");
        man.put("expected", name + ".expected.json");
        man.put("kind", Expect.kind(model));
        man.put("dtype", Expect.dtype(model));
        man.put("updater", net.updaterName);
        man.put("saved_with_updater", true);
        man.put("has_updater_state", entries.contains("updaterState.bin"));
        man.put("normalizer", second.normalizer.getType().name());
        man.put("normalizer_attached_by", "writeModel(STANDARDIZE) then addNormalizerToModel(MIN_MAX) replacing it");
        man.put("objects", null);
        man.put("restorable", true);
        List<Object> covers = new ArrayList<>(net.covers);
        covers.add("addNormalizerToModel replaces an existing normalizer.bin");
        covers.addAll(second.covers);
        man.put("covers", covers);
        man.put("entries", entries);
        man.put("size_bytes", f.length());
        manifestArchives.add(man);
        System.out.println("archive " + name + ".zip " + f.length() + " bytes " + entries);
    }
}

package dlz.interop;

import java.io.File;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.SubsetVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.*;
import org.deeplearning4j.nn.conf.layers.convolutional.Cropping2D;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * DL4J's own view of a set of networks, for the network description and the
 * parameter table of dlz (test/test_network.c).
 *
 *   dl4j.sh m21 NetTruth OUT_DIR
 *
 * For every network it writes OUT_DIR/NAME.zip (ModelSerializer, without
 * updater, after setting the flat parameter vector to 0, 1, 2, ...) and
 * OUT_DIR/NAME.truth.json: the input types it was configured with, for every
 * layer or vertex its class, the attributes read through DL4J's getters, and
 * the output type DL4J computes (getLayerActivationTypes), the shape of its
 * activations for a batch of 2 random examples (feedForward), and DL4J's
 * paramTable(): key, shape and the values in row-major order (which are the
 * positions of the values in the flat vector).
 */
public final class NetTruth {
    private NetTruth() {}

    private static NeuralNetConfiguration.Builder base() {
        return new NeuralNetConfiguration.Builder().seed(12345).dataType(DataType.FLOAT);
    }

    /** The getters read on every layer configuration that has them. */
    private static final String[] GETTERS = {
        "getNIn", "getNOut", "getKernelSize", "getStride", "getPadding", "getDilation",
        "getConvolutionMode", "getCnn2dDataFormat", "getRnnDataFormat", "getPoolingType",
        "getActivationFn", "getGateActivationFn", "getForgetGateBiasInit", "getNHeads",
        "getHeadSize", "isProjectInput", "getNQueries", "getMode", "getCollapseDimensions",
        "isCollapseDimensions", "getSize", "getCropping", "getDepthMultiplier", "hasBias",
        "isUseLogStd", "getEps", "getLossFn", "getActivation", "isHasBias", "getPnorm"};

    private static Object plain(Object v) {
        if (v == null) return null;
        if (v instanceof int[]) {
            List<Object> l = new ArrayList<>();
            for (int x : (int[]) v) l.add((long) x);
            return l;
        }
        if (v instanceof long[]) {
            List<Object> l = new ArrayList<>();
            for (long x : (long[]) v) l.add(x);
            return l;
        }
        if (v instanceof Number || v instanceof Boolean || v instanceof String) return v;
        if (v instanceof Enum) return ((Enum<?>) v).name();
        return v.getClass().getSimpleName();
    }

    private static Map<String, Object> attrs(Object layer) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String g : GETTERS) {
            try {
                Method meth = layer.getClass().getMethod(g);
                Object v = meth.invoke(layer);
                String key = g.startsWith("get") ? g.substring(3) : g.startsWith("is") ? g.substring(2) : g;
                m.put(Character.toLowerCase(key.charAt(0)) + key.substring(1), plain(v));
            } catch (ReflectiveOperationException | RuntimeException e) {
                // not a getter of this layer
            }
        }
        return m;
    }

    private static Map<String, Object> type(InputType t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", t.getType().name());
        Object format = "FF";
        try {
            format = plain(t.getClass().getMethod("getFormat").invoke(t));
        } catch (ReflectiveOperationException e) {
            // feed-forward types have no format
        }
        m.put("format", format);
        m.put("shape", plain(t.getShape(true)));
        return m;
    }

    private static List<Object> paramTable(Map<String, INDArray> table) {
        List<Object> out = new ArrayList<>();
        for (Map.Entry<String, INDArray> e : table.entrySet()) {
            Map<String, Object> p = new LinkedHashMap<>();
            INDArray a = e.getValue();
            p.put("key", e.getKey());
            p.put("shape", plain(a.shape()));
            List<Object> vals = new ArrayList<>();
            INDArray c = a.dup('c').reshape(a.length());
            for (long i = 0; i < a.length(); i++) vals.add((long) c.getDouble(i));
            p.put("values", vals);
            out.add(p);
        }
        return out;
    }

    /** A batch of 2 examples of an input type (every size known). */
    private static INDArray example(InputType t) {
        long[] shape = t.getShape(true);
        shape[0] = 2;
        Nd4j.getRandom().setSeed(7);
        return Nd4j.rand(DataType.FLOAT, shape);
    }

    /** Flat parameters 0, 1, 2, ... so that each value is its own position. */
    private static INDArray positions(long n) {
        return Nd4j.arange(0, n).castTo(DataType.FLOAT).reshape(1, n);
    }

    private static void mln(Path dir, String name, MultiLayerConfiguration conf, InputType in)
            throws Exception {
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        net.setParams(positions(net.numParams()));
        ModelSerializer.writeModel(net, new File(dir.toFile(), name + ".zip"), false);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("kind", "MultiLayerNetwork");
        root.put("inputs", Arrays.asList(type(in)));
        List<InputType> types = conf.getLayerActivationTypes(in);
        List<INDArray> acts = null;
        try {
            acts = net.feedForward(example(in), false);
        } catch (RuntimeException e) {
            // DL4J M2.1 cannot run RecurrentAttentionLayer (scatter_update fails): no shapes
        }
        List<Object> layers = new ArrayList<>();
        for (int i = 0; i < conf.getConfs().size(); i++) {
            Layer l = conf.getConf(i).getLayer();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", String.valueOf(i));
            m.put("class", l.getClass().getSimpleName());
            Object pp = conf.getInputPreProcess(i);
            m.put("preprocessor", pp == null ? null : pp.getClass().getSimpleName());
            m.put("attrs", attrs(l));
            if (l instanceof BaseWrapperLayer) m.put("wrapped", ((BaseWrapperLayer) l).getUnderlying().getClass().getSimpleName());
            m.put("output", type(types.get(i)));
            m.put("activation", acts == null ? null : plain(acts.get(i + 1).shape()));
            layers.add(m);
        }
        root.put("layers", layers);
        root.put("numParams", net.numParams());
        root.put("params", paramTable(net.paramTable()));
        Json.writeFile(dir.resolve(name + ".truth.json"), root);
    }

    private static void cg(Path dir, String name, ComputationGraphConfiguration conf, InputType... in)
            throws Exception {
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        net.setParams(positions(net.numParams()));
        ModelSerializer.writeModel(net, new File(dir.toFile(), name + ".zip"), false);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("kind", "ComputationGraph");
        List<Object> ins = new ArrayList<>();
        for (InputType t : in) ins.add(type(t));
        root.put("inputs", ins);
        root.put("networkInputs", new ArrayList<Object>(conf.getNetworkInputs()));
        root.put("networkOutputs", new ArrayList<Object>(conf.getNetworkOutputs()));
        Map<String, InputType> types = conf.getLayerActivationTypes(in);
        INDArray[] xs = new INDArray[in.length];
        for (int i = 0; i < in.length; i++) xs[i] = example(in[i]);
        Map<String, INDArray> acts = net.feedForward(xs, false);
        List<Object> layers = new ArrayList<>();
        for (Map.Entry<String, org.deeplearning4j.nn.conf.graph.GraphVertex> e : conf.getVertices().entrySet()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", e.getKey());
            Object v = e.getValue();
            if (v instanceof org.deeplearning4j.nn.conf.graph.LayerVertex) {
                Layer l = ((org.deeplearning4j.nn.conf.graph.LayerVertex) v).getLayerConf().getLayer();
                m.put("class", l.getClass().getSimpleName());
                m.put("attrs", attrs(l));
            } else {
                m.put("class", v.getClass().getSimpleName());
                m.put("attrs", attrs(v));
            }
            m.put("inputs", new ArrayList<Object>(conf.getVertexInputs().get(e.getKey())));
            m.put("output", type(types.get(e.getKey())));
            m.put("activation", plain(acts.get(e.getKey()).shape()));
            layers.add(m);
        }
        root.put("layers", layers);
        root.put("numParams", net.numParams());
        root.put("params", paramTable(net.paramTable()));
        Json.writeFile(dir.resolve(name + ".truth.json"), root);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Paths.get(args.length > 0 ? args[0] : ".");
        Files.createDirectories(dir);

        InputType seq = InputType.recurrent(4, 20);
        mln(dir, "conv1d", base().list()
            .layer(new Convolution1DLayer.Builder().kernelSize(3).stride(2).padding(1).nOut(5)
                .activation(Activation.RELU).convolutionMode(ConvolutionMode.Truncate).build())
            .layer(new Subsampling1DLayer.Builder().kernelSize(2).stride(2)
                .poolingType(SubsamplingLayer.PoolingType.MAX).build())
            .layer(new Convolution1D.Builder().kernelSize(2).dilation(2).nOut(3).hasBias(false)
                .convolutionMode(ConvolutionMode.Causal).activation(Activation.TANH).build())
            .layer(new Convolution1DLayer.Builder().kernelSize(3).nOut(2)
                .convolutionMode(ConvolutionMode.Same).build())
            .layer(new GlobalPoolingLayer.Builder().poolingType(PoolingType.AVG).build())
            .layer(new OutputLayer.Builder().nOut(2).activation(Activation.SOFTMAX)
                .lossFunction(LossFunctions.LossFunction.MCXENT).build())
            .setInputType(seq).build(), seq);

        InputType seq6 = InputType.recurrent(6, 5);
        mln(dir, "attention", base().list()
            .layer(new SelfAttentionLayer.Builder().nOut(6).nHeads(2).projectInput(true).build())
            .layer(new SelfAttentionLayer.Builder().nIn(6).nOut(6).nHeads(1).projectInput(false).build())
            .layer(new RecurrentAttentionLayer.Builder().nOut(4).nHeads(2).headSize(3)
                .projectInput(true).activation(Activation.TANH).build())
            .layer(new RecurrentAttentionLayer.Builder().nIn(4).nOut(4).nHeads(1).projectInput(false)
                .hasBias(false).activation(Activation.RELU).build())
            .layer(new LearnedSelfAttentionLayer.Builder().nOut(4).nHeads(2).nQueries(3)
                .projectInput(true).build())
            .layer(new GlobalPoolingLayer.Builder().poolingType(PoolingType.MAX).build())
            .layer(new OutputLayer.Builder().nOut(2).activation(Activation.SOFTMAX).build())
            .setInputType(seq6).build(), seq6);

        InputType img = InputType.convolutional(9, 8, 2);
        mln(dir, "cnn-nchw", base().list()
            .layer(new ConvolutionLayer.Builder(3, 3).stride(2, 1).padding(1, 0).nOut(4)
                .activation(Activation.LEAKYRELU).build())
            .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.AVG).kernelSize(2, 2)
                .stride(1, 1).convolutionMode(ConvolutionMode.Same).build())
            .layer(new DropoutLayer.Builder(0.5).build())
            .layer(new ActivationLayer.Builder().activation(Activation.ELU).build())
            .layer(new BatchNormalization.Builder().useLogStd(true).build())
            .layer(new ZeroPaddingLayer.Builder(1, 2, 0, 1).build())
            .layer(new Cropping2D(1, 0, 1, 1))
            .layer(new Upsampling2D.Builder(2).build())
            .layer(new ConvolutionLayer.Builder(2, 2).dilation(2, 2).nOut(3)
                .convolutionMode(ConvolutionMode.Strict).build())
            .layer(new DenseLayer.Builder().nOut(5).activation(Activation.SIGMOID).build())
            .layer(new OutputLayer.Builder().nOut(3).activation(Activation.SOFTMAX).build())
            .setInputType(img).build(), img);

        InputType imgh = InputType.convolutional(7, 6, 3, CNN2DFormat.NHWC);
        mln(dir, "cnn-nhwc", base().list()
            .layer(new ConvolutionLayer.Builder(2, 3).nOut(4).dataFormat(CNN2DFormat.NHWC)
                .convolutionMode(ConvolutionMode.Same).stride(2, 2).build())
            .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2)
                .stride(2, 2).dataFormat(CNN2DFormat.NHWC).build())
            .layer(new DenseLayer.Builder().nOut(3).build())
            .layer(new OutputLayer.Builder().nOut(2).build())
            .setInputType(imgh).build(), imgh);

        InputType rnn = InputType.recurrent(3, 7);
        mln(dir, "rnn", base().list()
            .layer(new LSTM.Builder().nOut(4).activation(Activation.TANH)
                .gateActivationFunction(Activation.HARDSIGMOID).forgetGateBiasInit(1.5).build())
            .layer(new Bidirectional(Bidirectional.Mode.CONCAT, new LSTM.Builder().nOut(3).build()))
            .layer(new GravesLSTM.Builder().nOut(2).build())
            .layer(new LastTimeStep(new SimpleRnn.Builder().nOut(5).build()))
            .layer(new OutputLayer.Builder().nOut(2).build())
            .setInputType(rnn).build(), rnn);

        InputType rnnNwc = InputType.recurrent(3, 6, RNNFormat.NWC);
        mln(dir, "rnn-nwc", base().list()
            .layer(new LSTM.Builder().nOut(4).dataFormat(RNNFormat.NWC).build())
            .layer(new RnnOutputLayer.Builder().nOut(2).dataFormat(RNNFormat.NWC).build())
            .setInputType(rnnNwc).build(), rnnNwc);

        InputType ff3 = InputType.feedForward(3), ff2 = InputType.feedForward(2);
        cg(dir, "graph", base().graphBuilder()
            .addInputs("a", "b")
            .addLayer("da", new DenseLayer.Builder().nOut(4).build(), "a")
            .addLayer("db", new DenseLayer.Builder().nOut(4).build(), "b")
            .addVertex("sum", new ElementWiseVertex(ElementWiseVertex.Op.Add), "da", "db")
            .addVertex("merge", new MergeVertex(), "sum", "a")
            .addVertex("subset", new SubsetVertex(1, 5), "merge")
            .addLayer("out", new OutputLayer.Builder().nOut(2).build(), "subset")
            .setOutputs("out")
            .setInputTypes(ff3, ff2).build(), ff3, ff2);
    }
}

package dlz.interop;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.preprocessor.DataNormalization;
import org.nd4j.linalg.dataset.api.preprocessor.ImagePreProcessingScaler;
import org.nd4j.linalg.dataset.api.preprocessor.MinMaxStrategy;
import org.nd4j.linalg.dataset.api.preprocessor.MultiDataNormalization;
import org.nd4j.linalg.dataset.api.preprocessor.MultiNormalizerHybrid;
import org.nd4j.linalg.dataset.api.preprocessor.MultiNormalizerMinMaxScaler;
import org.nd4j.linalg.dataset.api.preprocessor.MultiNormalizerStandardize;
import org.nd4j.linalg.dataset.api.preprocessor.Normalizer;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerMinMaxScaler;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerStandardize;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerStrategy;
import org.nd4j.linalg.dataset.api.preprocessor.StandardizeStrategy;
import org.nd4j.linalg.dataset.api.preprocessor.stats.DistributionStats;
import org.nd4j.linalg.dataset.api.preprocessor.stats.MinMaxStats;
import org.nd4j.linalg.dataset.api.preprocessor.stats.NormalizerStats;

/**
 * Builds the sections of the expected.json format from live DL4J objects.
 * Used by Generate (to write them) and by Verify (to compare restored objects
 * against them), so both sides use exactly the same rendering.
 */
public final class Expect {
    private Expect() {}

    // ------------------------------------------------------------- archives

    /** Entry names in local-header (archive) order, read with ZipInputStream. */
    public static List<Object> entries(File zip) throws IOException {
        List<Object> l = new ArrayList<>();
        try (ZipInputStream zin = new ZipInputStream(new FileInputStream(zip))) {
            ZipEntry e;
            while ((e = zin.getNextEntry()) != null) l.add(e.getName());
        }
        return l;
    }

    public static byte[] entryBytes(File zip, String name) throws IOException {
        try (ZipFile zf = new ZipFile(zip)) {
            ZipEntry e = zf.getEntry(name);
            if (e == null) return null;
            try (InputStream in = zf.getInputStream(e)) {
                return in.readAllBytes();
            }
        }
    }

    // ---------------------------------------------------------------- models

    public static String kind(Model m) {
        return m instanceof ComputationGraph ? "ComputationGraph" : "MultiLayerNetwork";
    }

    public static String dtype(Model m) {
        try {
            if (m instanceof MultiLayerNetwork) {
                return ((MultiLayerNetwork) m).getLayerWiseConfigurations().getDataType().name();
            }
            return ((ComputationGraph) m).getConfiguration().getDataType().name();
        } catch (Throwable t) {
            INDArray p = m.params();
            return p == null ? "UNKNOWN" : p.dataType().name();
        }
    }

    public static Object coefficients(Model m) {
        INDArray p = m.params();
        return p == null ? null : Summ.summary(p);
    }

    public static Map<String, Object> params(Model m) {
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, INDArray> t = m.paramTable();
        if (t == null) return out;
        for (Map.Entry<String, INDArray> e : t.entrySet()) out.put(e.getKey(), Summ.summary(e.getValue()));
        return out;
    }

    public static INDArray updaterState(Model m) {
        if (m instanceof MultiLayerNetwork) {
            MultiLayerNetwork n = (MultiLayerNetwork) m;
            return n.getUpdater() == null ? null : n.getUpdater().getStateViewArray();
        }
        ComputationGraph g = (ComputationGraph) m;
        return g.getUpdater() == null ? null : g.getUpdater().getStateViewArray();
    }

    public static Object updater(Model m) {
        INDArray s = updaterState(m);
        if (s == null || s.length() == 0) return null;
        return Summ.summary(s, true);
    }

    /** output() in inference mode on copies of the inputs (some layers work in place). */
    public static INDArray[] output(Model m, INDArray[] input) {
        INDArray[] in = dupAll(input);
        if (m instanceof MultiLayerNetwork) {
            return new INDArray[] {((MultiLayerNetwork) m).output(in[0], false)};
        }
        return ((ComputationGraph) m).output(false, in);
    }

    // ----------------------------------------------------------- normalizers

    static List<Object> list(Object... o) {
        List<Object> l = new ArrayList<>();
        for (Object x : o) l.add(x);
        return l;
    }

    static Object stats(NormalizerStats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (s instanceof DistributionStats) {
            m.put("kind", "STANDARDIZE");
            m.put("mean", Summ.summary(((DistributionStats) s).getMean()));
            m.put("std", Summ.summary(((DistributionStats) s).getStd()));
        } else if (s instanceof MinMaxStats) {
            m.put("kind", "MIN_MAX");
            m.put("lower", Summ.summary(((MinMaxStats) s).getLower()));
            m.put("upper", Summ.summary(((MinMaxStats) s).getUpper()));
        } else {
            m.put("kind", s == null ? null : s.getClass().getName());
        }
        return m;
    }

    static Object strategy(NormalizerStrategy<?> s) {
        if (s == null) return null;
        Map<String, Object> m = new LinkedHashMap<>();
        if (s instanceof StandardizeStrategy) {
            m.put("kind", "STANDARDIZE");
        } else if (s instanceof MinMaxStrategy) {
            m.put("kind", "MIN_MAX");
            m.put("minRange", Summ.dfield(((MinMaxStrategy) s).getMinRange()));
            m.put("maxRange", Summ.dfield(((MinMaxStrategy) s).getMaxRange()));
        } else {
            m.put("kind", s.getClass().getName());
        }
        return m;
    }

    static Map<String, Object> statsMap(Map<Integer, NormalizerStats> in) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (in == null) return m;
        for (Map.Entry<Integer, NormalizerStats> e : in.entrySet()) m.put(String.valueOf(e.getKey()), stats(e.getValue()));
        return m;
    }

    static Map<String, Object> strategyMap(Map<Integer, NormalizerStrategy> in) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (in == null) return m;
        for (Map.Entry<Integer, NormalizerStrategy> e : in.entrySet()) m.put(String.valueOf(e.getKey()), strategy(e.getValue()));
        return m;
    }

    /** The "normalizer" section: type plus every serialized field. */
    public static Object normalizer(Normalizer<?> n) {
        if (n == null) return null;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", n.getType().name());
        m.put("java_class", n.getClass().getName());
        if (n instanceof NormalizerStandardize) {
            NormalizerStandardize s = (NormalizerStandardize) n;
            m.put("fitLabel", s.isFitLabel());
            m.put("mean", Summ.summary(s.getMean()));
            m.put("std", Summ.summary(s.getStd()));
            m.put("labelMean", s.isFitLabel() ? Summ.summary(s.getLabelMean()) : null);
            m.put("labelStd", s.isFitLabel() ? Summ.summary(s.getLabelStd()) : null);
        } else if (n instanceof NormalizerMinMaxScaler) {
            NormalizerMinMaxScaler s = (NormalizerMinMaxScaler) n;
            m.put("fitLabel", s.isFitLabel());
            m.put("targetMin", Summ.dfield(s.getTargetMin()));
            m.put("targetMax", Summ.dfield(s.getTargetMax()));
            m.put("min", Summ.summary(s.getMin()));
            m.put("max", Summ.summary(s.getMax()));
            m.put("labelMin", s.isFitLabel() ? Summ.summary(s.getLabelMin()) : null);
            m.put("labelMax", s.isFitLabel() ? Summ.summary(s.getLabelMax()) : null);
        } else if (n instanceof ImagePreProcessingScaler) {
            ImagePreProcessingScaler s = (ImagePreProcessingScaler) n;
            m.put("minRange", Summ.dfield(s.getMinRange()));
            m.put("maxRange", Summ.dfield(s.getMaxRange()));
            m.put("maxPixelVal", Summ.dfield(s.getMaxPixelVal()));
        } else if (n instanceof MultiNormalizerStandardize) {
            MultiNormalizerStandardize s = (MultiNormalizerStandardize) n;
            m.put("fitLabel", s.isFitLabel());
            m.put("numInputs", s.numInputs());
            List<Object> mean = new ArrayList<>(), std = new ArrayList<>();
            for (int i = 0; i < s.numInputs(); i++) {
                mean.add(Summ.summary(s.getFeatureMean(i)));
                std.add(Summ.summary(s.getFeatureStd(i)));
            }
            m.put("featureMean", mean);
            m.put("featureStd", std);
            if (s.isFitLabel()) {
                m.put("numOutputs", s.numOutputs());
                List<Object> lm = new ArrayList<>(), ls = new ArrayList<>();
                for (int i = 0; i < s.numOutputs(); i++) {
                    lm.add(Summ.summary(s.getLabelMean(i)));
                    ls.add(Summ.summary(s.getLabelStd(i)));
                }
                m.put("labelMean", lm);
                m.put("labelStd", ls);
            } else {
                m.put("numOutputs", null);
                m.put("labelMean", null);
                m.put("labelStd", null);
            }
        } else if (n instanceof MultiNormalizerMinMaxScaler) {
            MultiNormalizerMinMaxScaler s = (MultiNormalizerMinMaxScaler) n;
            m.put("fitLabel", s.isFitLabel());
            m.put("numInputs", s.numInputs());
            m.put("targetMin", Summ.dfield(s.getTargetMin()));
            m.put("targetMax", Summ.dfield(s.getTargetMax()));
            List<Object> mn = new ArrayList<>(), mx = new ArrayList<>();
            for (int i = 0; i < s.numInputs(); i++) {
                mn.add(Summ.summary(s.getMin(i)));
                mx.add(Summ.summary(s.getMax(i)));
            }
            m.put("featureMin", mn);
            m.put("featureMax", mx);
            if (s.isFitLabel()) {
                m.put("numOutputs", s.numOutputs());
                List<Object> lmn = new ArrayList<>(), lmx = new ArrayList<>();
                for (int i = 0; i < s.numOutputs(); i++) {
                    lmn.add(Summ.summary(s.getLabelMin(i)));
                    lmx.add(Summ.summary(s.getLabelMax(i)));
                }
                m.put("labelMin", lmn);
                m.put("labelMax", lmx);
            } else {
                m.put("numOutputs", null);
                m.put("labelMin", null);
                m.put("labelMax", null);
            }
        } else if (n instanceof MultiNormalizerHybrid) {
            MultiNormalizerHybrid h = (MultiNormalizerHybrid) n;
            m.put("inputStats", statsMap(h.getInputStats()));
            m.put("outputStats", statsMap(h.getOutputStats()));
            m.put("globalInputStrategy", strategy(h.getGlobalInputStrategy()));
            m.put("globalOutputStrategy", strategy(h.getGlobalOutputStrategy()));
            m.put("perInputStrategies", strategyMap(h.getPerInputStrategies()));
            m.put("perOutputStrategies", strategyMap(h.getPerOutputStrategies()));
        } else {
            throw new IllegalArgumentException("unsupported normalizer " + n.getClass());
        }
        return m;
    }

    static INDArray[] dupAll(INDArray[] a) {
        if (a == null) return null;
        INDArray[] r = new INDArray[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i].dup();
        return r;
    }

    static boolean transformsLabels(Normalizer<?> n) {
        if (n instanceof NormalizerStandardize) return ((NormalizerStandardize) n).isFitLabel();
        if (n instanceof NormalizerMinMaxScaler) return ((NormalizerMinMaxScaler) n).isFitLabel();
        if (n instanceof MultiNormalizerStandardize) return ((MultiNormalizerStandardize) n).isFitLabel();
        if (n instanceof MultiNormalizerMinMaxScaler) return ((MultiNormalizerMinMaxScaler) n).isFitLabel();
        if (n instanceof MultiNormalizerHybrid) return true;
        return false;
    }

    /**
     * The "normalizer_transform" section: transform + revert of fixed features
     * (and labels when the normalizer handles labels).  The inputs are not modified.
     */
    public static Map<String, Object> transform(Normalizer<?> n, INDArray[] features, INDArray[] labels) {
        boolean doLabels = labels != null && transformsLabels(n);
        INDArray[] ft = dupAll(features), lt = doLabels ? dupAll(labels) : null;
        if (n instanceof DataNormalization) {
            DataNormalization d = (DataNormalization) n;
            d.transform(ft[0]);
            if (doLabels) d.transformLabel(lt[0]);
        } else {
            MultiDataNormalization d = (MultiDataNormalization) n;
            INDArray[] lab = doLabels ? lt : dupAll(labels);
            MultiDataSet mds = new org.nd4j.linalg.dataset.MultiDataSet(ft, lab);
            d.transform(mds);
        }
        INDArray[] fr = dupAll(ft), lr = doLabels ? dupAll(lt) : null;
        if (n instanceof DataNormalization) {
            DataNormalization d = (DataNormalization) n;
            d.revertFeatures(fr[0]);
            if (doLabels) d.revertLabels(lr[0]);
        } else {
            MultiDataNormalization d = (MultiDataNormalization) n;
            d.revertFeatures(fr);
            if (doLabels) d.revertLabels(lr);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("features_in", Summ.summaries(features));
        m.put("features_transformed", Summ.summaries(ft));
        m.put("features_reverted", Summ.summaries(fr));
        m.put("labels_in", doLabels ? Summ.summaries(labels) : null);
        m.put("labels_transformed", doLabels ? Summ.summaries(lt) : null);
        m.put("labels_reverted", doLabels ? Summ.summaries(lr) : null);
        return m;
    }

    // --------------------------------------------------------------- objects

    public static Map<String, Object> object(Object value, byte[] rawEntry) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("java_class", value == null ? null : value.getClass().getName());
        m.put("value", Render.render(value));
        m.put("sha256_bytes", rawEntry == null ? null : Summ.sha256(rawEntry));
        m.put("size_bytes", rawEntry == null ? null : rawEntry.length);
        return m;
    }
}

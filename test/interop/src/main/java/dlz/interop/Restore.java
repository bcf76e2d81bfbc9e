package dlz.interop;

import java.io.File;
import java.util.List;

import org.deeplearning4j.util.ModelSerializer;

/**
 * Does DL4J restore each file?  Prints one line per file:
 * "RESTORED NAME" or "REFUSED NAME: the exception".
 *
 * An archive is restored as a MultiLayerNetwork, or as a ComputationGraph when
 * DL4J says it is one, with its updater state; then its normalizer (when it
 * has normalizer.bin) and every object of listObjectsInFile are read, so that
 * every part dlz check judges is read by DL4J too.
 *
 *   Restore FILE...
 */
public final class Restore {
    public static void main(String[] args) {
        for (String a : args) {
            File f = new File(a);
            try {
                restore(f);
                System.out.println("RESTORED " + f.getName());
            } catch (Throwable t) {
                String m = String.valueOf(t).replaceAll("[\\r\\n]+", " ");
                System.out.println("REFUSED " + f.getName() + ": " + m);
            }
        }
    }

    static void restore(File f) throws Exception {
        try {
            ModelSerializer.restoreMultiLayerNetwork(f, true);
        } catch (Exception e) {
            String m = String.valueOf(e.getMessage());
            if (!m.contains("ComputationGraph")) throw e;
            ModelSerializer.restoreComputationGraph(f, true);
        }
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(f)) {
            if (z.getEntry("normalizer.bin") != null) {
                if (ModelSerializer.restoreNormalizerFromFile(f) == null) {
                    throw new IllegalStateException("restoreNormalizerFromFile returned null");
                }
            }
        }
        List<String> keys = ModelSerializer.listObjectsInFile(f);
        for (String key : keys) {
            ModelSerializer.getObjectFromFile(f, key);
        }
    }
}

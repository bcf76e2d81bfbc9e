package dlz.interop;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.File;
import java.util.List;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The JdkDump output format produced with DL4J's own reader (Nd4j.read), to
 * cross-check JdkDump and C dumps against real DL4J:
 *
 *   DumpCheck ARCHIVE                  dump to stdout
 *   DumpCheck -o OUTDIR ARCHIVE...     one OUTDIR/<archive file name>.dump per archive
 *
 * Entry lines come from ZipInputStream (local-header order).  For
 * coefficients.bin and updaterState.bin: "array" line with mode (from the
 * record header), dtype/shape/strides/order as DL4J holds the array after
 * Nd4j.read, then the element lines in C order.  DL4J may normalise strides
 * (for example of size-1 dimensions), so compare strides/order loosely.
 */
public class DumpCheck {
    public static void main(String[] args) throws Exception {
        if (args.length >= 2 && args[0].equals("-o")) {
            File dir = new File(args[1]);
            dir.mkdirs();
            int bad = 0;
            for (int i = 2; i < args.length; i++) {
                File f = new File(args[i]);
                StringBuilder sb = new StringBuilder();
                try {
                    dump(f, sb);
                    java.nio.file.Files.writeString(new File(dir, f.getName() + ".dump").toPath(), sb);
                } catch (Throwable t) {
                    bad++;
                    System.err.println("DumpCheck: " + f + ": " + t);
                    java.nio.file.Files.writeString(new File(dir, f.getName() + ".dump.err").toPath(), t.toString() + "\n");
                }
            }
            System.exit(bad > 0 ? 1 : 0);
        }
        StringBuilder sb = new StringBuilder();
        dump(new File(args[0]), sb);
        System.out.print(sb);
    }

    static void dump(File f, StringBuilder o) throws Exception {
        List<Object> names = Expect.entries(f);
        for (Object n : names) {
            byte[] b = Expect.entryBytes(f, (String) n);
            o.append("entry " + n + " " + (b == null ? -1 : b.length)).append('\n');
        }
        for (String want : new String[] {"coefficients.bin", "updaterState.bin"}) {
            byte[] b = Expect.entryBytes(f, want);
            if (b == null || b.length == 0) continue;
            String mode = new DataInputStream(new ByteArrayInputStream(b)).readUTF();
            INDArray a = Nd4j.read(new DataInputStream(new ByteArrayInputStream(b)));
            StringBuilder sh = new StringBuilder(), st = new StringBuilder();
            long[] shape = a.shape(), strides = a.stride();
            for (int i = 0; i < shape.length; i++) {
                if (i > 0) { sh.append(','); st.append(','); }
                sh.append(shape[i]);
                st.append(strides[i]);
            }
            o.append("array " + want + " mode=" + mode + " dtype=" + a.dataType().name() + " shape=" + sh
                    + " strides=" + st + " order=" + a.ordering()).append('\n');
            String hex = Summ.hex(Summ.cBytes(a));
            int w = 2 * Summ.width(a.dataType().name());
            for (int i = 0; i < hex.length(); i += w) o.append(hex, i, i + w).append('\n');
        }
    }
}

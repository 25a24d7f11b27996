// Reads "a<TAB>b" lines; prints -1, 0 or 1 as Maven's ComparableVersion
// orders them. Run with the maven-artifact jar on the class path.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class MavenCompare {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
    StringBuilder out = new StringBuilder();
    String line;
    while ((line = in.readLine()) != null) {
      String[] ab = line.split("\t", -1);
      int c = new ComparableVersion(ab[0]).compareTo(new ComparableVersion(ab[1]));
      out.append(Integer.signum(c)).append('\n');
    }
    System.out.print(out);
  }
}

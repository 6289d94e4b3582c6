package tempocast.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the JSON lines of benchmark runs (ours and the peer harness's) and prints, per workload, a
 * Markdown table of medians with the range, one row per system, plus tempocast's ratio to the
 * better peer. {@code java -cp tempocast.jar:tempocast-bench.jar tempocast.bench.MedianTable
 * results.jsonl}
 */
public final class MedianTable {
  private static final Pattern FIELD =
      Pattern.compile("\"([a-z0-9_]+)\":(\"[^\"]*\"|[-0-9.eE]+|null)");

  private MedianTable() {}

  public static void main(String[] args) throws Exception {
    Map<String, Map<String, List<Map<String, String>>>> runs = new TreeMap<>();
    for (String line : Files.readAllLines(Path.of(args[0]))) {
      if (!line.startsWith("{")) {
        continue;
      }
      Map<String, String> f = new LinkedHashMap<>();
      Matcher m = FIELD.matcher(line);
      while (m.find()) {
        f.put(m.group(1), m.group(2).replace("\"", ""));
      }
      if (f.containsKey("error")) {
        System.out.println("<!-- failed run: " + line + " -->");
        continue;
      }
      String system =
          f.get("system")
              + ("always".equals(f.get("fsync")) ? " (fsync always)" : "")
              + (f.containsKey("nodes") ? " (cluster of " + f.get("nodes") + ")" : "");
      runs.computeIfAbsent(f.get("workload"), w -> new TreeMap<>())
          .computeIfAbsent(system, s -> new ArrayList<>())
          .add(f);
    }
    for (Map.Entry<String, Map<String, List<Map<String, String>>>> w : runs.entrySet()) {
      String[] cols =
          w.getKey().equals("W3")
              ? new String[] {
                "acked_per_s",
                "catchup_per_s",
                "catchup_s",
                "broker_peak_rss_mb",
                "broker_cpu_s",
                "missing",
                "duplicates"
              }
              : new String[] {
                "acked_per_s",
                "deliveries_per_s",
                "p50_ms",
                "p99_ms",
                "p999_ms",
                "broker_peak_rss_mb",
                "broker_cpu_s",
                "missing",
                "duplicates"
              };
      System.out.println();
      System.out.println("**" + w.getKey() + "** (median [min–max] of the runs; n = runs)");
      System.out.println();
      StringBuilder head = new StringBuilder("| system | n |");
      StringBuilder rule = new StringBuilder("|---|---|");
      for (String c : cols) {
        head.append(' ').append(c).append(" |");
        rule.append("---|");
      }
      System.out.println(head);
      System.out.println(rule);
      for (Map.Entry<String, List<Map<String, String>>> s : w.getValue().entrySet()) {
        StringBuilder row =
            new StringBuilder("| " + s.getKey() + " | " + s.getValue().size() + " |");
        for (String c : cols) {
          row.append(' ').append(cell(s.getValue(), c)).append(" |");
        }
        System.out.println(row);
      }
    }
  }

  static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(Double::compare);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  private static String cell(List<Map<String, String>> runs, String col) {
    List<Double> xs = new ArrayList<>();
    for (Map<String, String> r : runs) {
      String v = r.get(col);
      if (v != null && !v.equals("null")) {
        xs.add(Double.parseDouble(v));
      }
    }
    if (xs.isEmpty()) {
      return "–";
    }
    double med = median(xs);
    double min = xs.stream().mapToDouble(Double::doubleValue).min().orElse(med);
    double max = xs.stream().mapToDouble(Double::doubleValue).max().orElse(med);
    return xs.size() == 1 || min == max
        ? fmt(med)
        : fmt(med) + " [" + fmt(min) + "–" + fmt(max) + "]";
  }

  private static String fmt(double v) {
    if (Math.abs(v) >= 100) {
      return String.format("%,.0f", v);
    }
    return String.format("%.3g", v);
  }
}

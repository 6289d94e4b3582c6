package tempocast.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import tempocast.protocol.CommandCodec;
import tempocast.protocol.ProtocolException;

/**
 * The load generator behind {@code scripts/bench}: runs one workload against a running coordinator
 * and prints one JSON line with the peer harness's fields.
 */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      usage("missing WORKLOAD");
    }
    String workload = args[0];
    Workloads.Config cfg = new Workloads.Config();
    int port = -1;
    int brokerPid = -1;
    String fsync = "never";
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        usage("option " + a + " needs a value");
      }
      String v = args[++i];
      switch (a) {
        case "--port" -> port = Integer.parseInt(v);
        case "--broker-pid" -> brokerPid = Integer.parseInt(v);
        case "--fsync" -> fsync = v;
        case "-n", "--messages" -> cfg.n = Integer.parseInt(v);
        case "--receivers" -> cfg.receivers = Integer.parseInt(v);
        case "--senders" -> cfg.senders = Integer.parseInt(v);
        case "--window" -> cfg.window = Integer.parseInt(v);
        case "--warmup" -> cfg.warmupSeconds = Integer.parseInt(v);
        case "--duration" -> cfg.durationSeconds = Integer.parseInt(v);
        case "--body", "--size" -> cfg.bodyBytes = Integer.parseInt(v);
        case "--groups" -> cfg.groups = Integer.parseInt(v);
        default -> usage("unknown option " + a);
      }
    }
    if (port <= 0) {
      usage("--port is required");
    }
    if (workload.equals("W4")
        && (cfg.groups < 10 || cfg.groups % 10 != 0 || cfg.groups % cfg.senders != 0)) {
      usage("--groups must be a multiple of 10 and of --senders");
    }
    try {
      CommandCodec.checkText(Body.make(0, 0, cfg.bodyBytes));
    } catch (ProtocolException e) {
      usage("--size " + cfg.bodyBytes + ": " + e.getMessage());
    }
    Workloads w = new Workloads(port, cfg);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("system", "tempocast");
    out.put("workload", workload);
    long start = System.nanoTime();
    Thread watchdog =
        new Thread(
            () -> {
              try {
                Thread.sleep(workload.equals("W4") ? 240_000 : 150_000);
                System.out.println(
                    "{\"system\":\"tempocast\",\"workload\":\""
                        + workload
                        + "\",\"error\":\"watchdog: over its time limit\"}");
                System.exit(1);
              } catch (InterruptedException e) {
                // finished in time
              }
            });
    watchdog.setDaemon(true);
    watchdog.start();
    try {
      Map<String, Object> r =
          switch (workload) {
            case "W1" -> w.w1();
            case "W2" -> w.w2();
            case "W3" -> w.w3();
            case "W4" -> w.w4();
            default -> {
              usage("WORKLOAD must be W1, W2, W3 or W4");
              yield null;
            }
          };
      out.putAll(r);
      out.put("seconds", Workloads.round3((System.nanoTime() - start) / 1e9));
      out.put(
          "receivers",
          switch (workload) {
            case "W3" -> 1;
            case "W4" -> cfg.groups; // as many receiving participants as groups
            default -> cfg.receivers;
          });
      out.put("senders", workload.equals("W2") || workload.equals("W4") ? cfg.senders : 1);
      out.put("fsync", fsync);
      out.put("broker_peak_rss_mb", brokerPid > 0 ? peakRssMb(brokerPid) : null);
      out.put("broker_cpu_s", brokerPid > 0 ? cpuSeconds(brokerPid) : null);
      out.put(
          "harness_cpu_s",
          ProcessHandle.current()
              .info()
              .totalCpuDuration()
              .map(d -> Workloads.round1(d.toMillis() / 1000.0))
              .orElse(null));
    } catch (Exception e) {
      out.put("error", String.valueOf(e.getMessage()).replace('"', '\''));
      System.out.println(json(out));
      System.exit(1);
    } finally {
      w.closeAll();
    }
    System.out.println(json(out));
    System.exit(0);
  }

  private static void usage(String why) {
    System.err.println("bench: " + why);
    System.err.println(
        "usage: BenchMain W1|W2|W3|W4 --port P [--broker-pid PID] [-n N] [--receivers R]"
            + " [--senders S] [--window W] [--warmup S] [--duration S] [--size BYTES]"
            + " [--groups G (W4)] [--fsync never|always]");
    System.exit(2);
  }

  static Double peakRssMb(int pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Workloads.round1(Long.parseLong(line.replaceAll("\\D", "")) / 1024.0);
        }
      }
    } catch (Exception e) {
      // not on Linux, or the process is gone
    }
    return null;
  }

  static Double cpuSeconds(int pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      return Workloads.round1(ticks / 100.0);
    } catch (Exception e) {
      return null;
    }
  }

  static String json(Map<String, Object> m) {
    StringBuilder b = new StringBuilder("{");
    for (Map.Entry<String, Object> e : m.entrySet()) {
      if (b.length() > 1) {
        b.append(',');
      }
      b.append('"').append(e.getKey()).append("\":");
      Object v = e.getValue();
      if (v == null) {
        b.append("null");
      } else if (v instanceof Number) {
        b.append(v);
      } else {
        b.append('"').append(v).append('"');
      }
    }
    return b.append('}').toString();
  }
}

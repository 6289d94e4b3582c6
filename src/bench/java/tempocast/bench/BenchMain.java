package tempocast.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import tempocast.protocol.CommandCodec;
import tempocast.protocol.ProtocolException;

/**
 * The load generator behind {@code scripts/bench}: runs one workload against a running coordinator
 * and prints one JSON line with the peer harness's fields. With {@code --cluster N} the coordinator
 * is N nodes: {@code --port} and {@code --broker-pid} list one of each per node (comma-separated),
 * the clients are spread over the nodes' ports, and the broker's CPU and peak RSS are the sums over
 * the node processes, with the figures of each node beside them.
 */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      usage("missing WORKLOAD");
    }
    String workload = args[0];
    Workloads.Config cfg = new Workloads.Config();
    int[] ports = {};
    int[] brokerPids = {};
    int nodes = 0;
    String fsync = "never";
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        usage("option " + a + " needs a value");
      }
      String v = args[++i];
      switch (a) {
        case "--port" -> ports = numbers(v);
        case "--broker-pid" -> brokerPids = numbers(v);
        case "--cluster" -> nodes = Integer.parseInt(v);
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
    if (ports.length == 0 || Arrays.stream(ports).anyMatch(p -> p <= 0)) {
      usage("--port is required");
    }
    if (nodes > 0 ? ports.length != nodes : ports.length != 1) {
      usage("--port: one port per coordinator node (--cluster N: N ports), got " + ports.length);
    }
    if (brokerPids.length > 0 && brokerPids.length != ports.length) {
      usage("--broker-pid: one pid per coordinator node, as --port");
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
    Workloads w = new Workloads(ports, cfg);
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
      Double[] rss = new Double[brokerPids.length];
      Double[] cpu = new Double[brokerPids.length];
      for (int i = 0; i < brokerPids.length; i++) {
        rss[i] = peakRssMb(brokerPids[i]);
        cpu[i] = cpuSeconds(brokerPids[i]);
      }
      Double cpuSum = sum(cpu);
      out.put("broker_peak_rss_mb", sum(rss));
      out.put("broker_cpu_s", cpuSum);
      if (nodes > 0) {
        // A cluster: the sums above are over its node processes (PostgreSQL's own not counted)
        Object msgs = out.get("n_msgs");
        out.put("nodes", nodes);
        out.put(
            "broker_cpu_us_per_msg",
            cpuSum != null && msgs instanceof Number n && n.longValue() > 0
                ? Workloads.round1(cpuSum * 1e6 / n.longValue())
                : null);
        out.put("broker_cpu_s_nodes", joined(cpu));
        out.put("broker_peak_rss_mb_nodes", joined(rss));
      }
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
        "usage: BenchMain W1|W2|W3|W4 --port P[,P...] [--broker-pid PID[,PID...]] [--cluster N]"
            + " [-n N] [--receivers R]"
            + " [--senders S] [--window W] [--warmup S] [--duration S] [--size BYTES]"
            + " [--groups G (W4)] [--fsync never|always]");
    System.exit(2);
  }

  /** Comma-separated numbers. */
  static int[] numbers(String v) {
    return Arrays.stream(v.split(",")).mapToInt(x -> Integer.parseInt(x.trim())).toArray();
  }

  /** The sum, rounded to a tenth; null when a figure is missing (or there is none). */
  static Double sum(Double[] figures) {
    if (figures.length == 0) {
      return null;
    }
    double s = 0;
    for (Double f : figures) {
      if (f == null) {
        return null;
      }
      s += f;
    }
    return Workloads.round1(s);
  }

  /** The figures separated by spaces, in node order ("null" for a missing one). */
  static String joined(Double[] figures) {
    return Arrays.stream(figures).map(String::valueOf).collect(Collectors.joining(" "));
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

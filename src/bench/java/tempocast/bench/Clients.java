package tempocast.bench;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import tempocast.protocol.CommandCodec;
import tempocast.protocol.DeliveryCodec;
import tempocast.protocol.Lines;
import tempocast.protocol.ProtocolException;
import tempocast.protocol.Replies;
import tempocast.protocol.Reply;

/**
 * Benchmark clients speaking the tempocast protocol over plain blocking sockets, so that the
 * measurement is of the coordinator, not of a client library. Every line is written and read with
 * the product's own codec ({@link CommandCodec}, {@link DeliveryCodec}), so that a protocol change
 * breaks the benchmark's build rather than its numbers.
 */
final class Clients {
  /** The group every benchmark member joins. */
  static final String GROUP = "main";

  private Clients() {}

  /** A command connection: lines out, reply lines in, in order. */
  static final class CommandConnection implements AutoCloseable {
    final Socket socket;
    final OutputStream out;
    final LineReader in;

    CommandConnection(int port) throws IOException {
      socket = new Socket();
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
      in = new LineReader(socket.getInputStream());
    }

    synchronized String call(String line) throws IOException {
      out.write(Lines.line(line).toArray());
      out.flush();
      return in.readLine();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** Reads '\n'-terminated lines into a reusable buffer. */
  static final class LineReader {
    private final InputStream in;
    final byte[] buf = new byte[2 * Lines.MAX_LINE_BYTES];
    private int start;
    private int end;

    /** Bounds of the line last returned by {@link #next()}. */
    int lineStart;

    int lineEnd;

    LineReader(InputStream in) {
      this.in = in;
    }

    /** True when the next line is already buffered (no read would block). */
    boolean hasBufferedLine() {
      for (int i = start; i < end; i++) {
        if (buf[i] == '\n') {
          return true;
        }
      }
      return false;
    }

    /** Advances to the next line; false at end of stream. */
    boolean next() throws IOException {
      while (true) {
        for (int i = start; i < end; i++) {
          if (buf[i] == '\n') {
            lineStart = start;
            lineEnd = i;
            start = i + 1;
            return true;
          }
        }
        if (start > 0) {
          System.arraycopy(buf, start, buf, 0, end - start);
          end -= start;
          start = 0;
        }
        if (end == buf.length) {
          throw new IOException("line longer than " + buf.length);
        }
        int n = in.read(buf, end, buf.length - end);
        if (n < 0) {
          return false;
        }
        end += n;
      }
    }

    String readLine() throws IOException {
      if (!next()) {
        throw new IOException("connection closed");
      }
      return new String(buf, lineStart, lineEnd - lineStart, StandardCharsets.UTF_8);
    }
  }

  /** Where a receiver hands each benchmark message it reads: its sequence space and body fields. */
  interface Sink {
    /** {@code target}: the MSG's group (or {@code @ID}); {@code body}: {sender, seq, sentNanos}. */
    void accept(String target, long[] body);
  }

  /**
   * A participant with a receiver: registers (in {@code group}), then accepts the coordinator's
   * delivery connection, hands every message body to {@code sink} and acknowledges each run of
   * messages it has read with one cumulative ACK per target (group or inbox) that the run touched.
   * {@code EVENT} and {@code DELIVERED} lines are notices: counted, never acknowledged.
   */
  static final class Member implements AutoCloseable {
    final String id;
    final String group;
    final CommandConnection commands;
    final ServerSocket server;
    final Sink sink;
    private volatile boolean closed;

    /** MSGs whose SEQ was not the previous one of their target (on that connection) plus one. */
    final LongAdder orderErrors = new LongAdder();

    final LongAdder notices = new LongAdder();

    Member(String id, int coordinatorPort, Sink sink) throws IOException {
      this(id, GROUP, coordinatorPort, sink);
    }

    Member(String id, String group, int coordinatorPort, Sink sink) throws IOException {
      this.id = id;
      this.group = group;
      this.sink = sink;
      this.server = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"));
      this.commands = new CommandConnection(coordinatorPort);
      Thread acceptor = new Thread(this::acceptLoop, "receiver-" + id);
      acceptor.setDaemon(true);
      acceptor.start();
      expectOk(commands.call(CommandCodec.register(group, id, "127.0.0.1", server.getLocalPort())));
    }

    void join(String g) throws IOException {
      expectOk(commands.call(CommandCodec.join(g, id)));
    }

    void goOffline() throws IOException {
      expectOk(commands.call(CommandCodec.disconnect(group, id)));
    }

    void goOnline() throws IOException {
      expectOk(
          commands.call(CommandCodec.reconnect(group, id, "127.0.0.1", server.getLocalPort())));
    }

    private void acceptLoop() {
      while (!closed) {
        try {
          Socket s = server.accept();
          Thread t = new Thread(() -> readLoop(s), "delivery-" + id);
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    }

    private void readLoop(Socket s) {
      try (s) {
        s.setTcpNoDelay(true);
        LineReader r = new LineReader(s.getInputStream());
        OutputStream out = new BufferedOutputStream(s.getOutputStream(), 4096);
        // Per target (group or inbox): the last SEQ read on this connection; the targets the
        // current run of buffered lines touched get one cumulative ACK each.
        Map<String, Target> targets = new HashMap<>();
        List<Target> toAck = new ArrayList<>();
        boolean pong = false;
        while (r.next()) {
          String line =
              new String(r.buf, r.lineStart, r.lineEnd - r.lineStart, StandardCharsets.UTF_8);
          if (line.equals(DeliveryCodec.PING)) {
            pong = true;
          } else {
            DeliveryCodec.Frame frame = DeliveryCodec.parseFrame(line);
            if (frame instanceof DeliveryCodec.Msg m) {
              DeliveryCodec.Delivery d = m.delivery();
              Target t = targets.computeIfAbsent(d.group(), Target::new);
              if (t.last >= 0 && d.seq() != t.last + 1) {
                orderErrors.increment();
              }
              t.last = d.seq();
              if (!t.dirty) {
                t.dirty = true;
                toAck.add(t);
              }
              long[] fields = Body.parse(d.text());
              if (fields != null) {
                sink.accept(d.group(), fields);
              }
            } else if (frame instanceof DeliveryCodec.Hello h) {
              if (!h.member().equals(id)) {
                Workloads.log("receiver " + id + ": HELLO for " + h.member() + ", closing");
                return;
              }
            } else {
              notices.increment(); // EVENT, DELIVERED: for a console; never acknowledged
            }
          }
          if (!r.hasBufferedLine()) {
            for (Target t : toAck) {
              out.write(Lines.line(DeliveryCodec.ack(t.name, t.last)).toArray());
              t.dirty = false;
            }
            toAck.clear();
            if (pong) {
              out.write(Lines.line(DeliveryCodec.PONG).toArray());
              pong = false;
            }
            out.flush();
          }
        }
      } catch (IOException e) {
        // the coordinator closed the link (disconnect) or the run ended
      } catch (ProtocolException e) {
        Workloads.log(
            "receiver "
                + id
                + ": the coordinator sent a line the codec rejects: "
                + e.getMessage());
      }
    }

    private static final class Target {
      final String name;
      long last = -1;
      boolean dirty;

      Target(String name) {
        this.name = name;
      }
    }

    @Override
    public void close() throws IOException {
      closed = true;
      server.close();
      commands.close();
    }
  }

  /** The reply, decoded with the product's codec; an {@code ERROR} becomes an exception. */
  static Reply expectOk(String reply) throws IOException {
    Reply r = Replies.parse(reply);
    if (r instanceof Reply.Error e) {
      throw new IOException("coordinator refused: " + e.code().code + " " + e.explanation());
    }
    return r;
  }
}

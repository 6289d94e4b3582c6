package tempocast.bench;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import tempocast.protocol.CommandCodec;
import tempocast.protocol.DeliveryCodec;
import tempocast.protocol.Lines;
import tempocast.protocol.ProtocolException;

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

  /**
   * A group member with a receiver: registers, then accepts the coordinator's delivery connections,
   * hands every message body to {@code sink} and acknowledges each run of messages it has read with
   * one cumulative ACK.
   */
  static final class Member implements AutoCloseable {
    final String id;
    final CommandConnection commands;
    final ServerSocket server;
    final Consumer<long[]> sink;
    private volatile boolean closed;

    Member(String id, int coordinatorPort, Consumer<long[]> sink) throws IOException {
      this.id = id;
      this.sink = sink;
      this.server = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"));
      this.commands = new CommandConnection(coordinatorPort);
      Thread acceptor = new Thread(this::acceptLoop, "receiver-" + id);
      acceptor.setDaemon(true);
      acceptor.start();
      expectOk(commands.call(CommandCodec.register(GROUP, id, "127.0.0.1", server.getLocalPort())));
    }

    void goOffline() throws IOException {
      expectOk(commands.call(CommandCodec.disconnect(GROUP, id)));
    }

    void goOnline() throws IOException {
      expectOk(
          commands.call(CommandCodec.reconnect(GROUP, id, "127.0.0.1", server.getLocalPort())));
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
        long lastSeq = -1;
        boolean pong = false;
        while (r.next()) {
          String line =
              new String(r.buf, r.lineStart, r.lineEnd - r.lineStart, StandardCharsets.UTF_8);
          if (line.equals(DeliveryCodec.PING)) {
            pong = true;
          } else if (DeliveryCodec.parseFrame(line) instanceof DeliveryCodec.Msg m) {
            long[] fields = Body.parse(m.delivery().text());
            if (fields != null) {
              sink.accept(fields);
            }
            lastSeq = m.delivery().seq();
          }
          if (!r.hasBufferedLine()) {
            if (lastSeq >= 0) {
              out.write(Lines.line(DeliveryCodec.ack(GROUP, lastSeq)).toArray());
              lastSeq = -1;
            }
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

    @Override
    public void close() throws IOException {
      closed = true;
      server.close();
      commands.close();
    }
  }

  static void expectOk(String reply) throws IOException {
    if (!reply.startsWith("OK")) {
      throw new IOException("coordinator refused: " + reply);
    }
  }
}

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

/**
 * Benchmark clients speaking the tempocast protocol over plain blocking sockets, so that the
 * measurement is of the coordinator, not of a client library.
 */
final class Clients {
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
      out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
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
    final byte[] buf = new byte[1 << 17];
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
   * A group member with a receiver: registers, then accepts the coordinator's delivery
   * connections, hands every message body to {@code sink} and acknowledges each run of messages it
   * has read with one cumulative ACK.
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
      expectOk(commands.call("REGISTER main " + id + " 127.0.0.1 " + server.getLocalPort()));
    }

    void goOffline() throws IOException {
      expectOk(commands.call("DISCONNECT main " + id));
    }

    void goOnline() throws IOException {
      expectOk(commands.call("RECONNECT main " + id + " 127.0.0.1 " + server.getLocalPort()));
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
          byte[] b = r.buf;
          int i = r.lineStart;
          int end = r.lineEnd;
          if (end - i >= 4 && b[i] == 'M' && b[i + 1] == 'S' && b[i + 2] == 'G') {
            // MSG GROUP SEQ TS SENDER TEXT
            int p = skipFields(b, i, end, 2);
            long seq = 0;
            while (b[p] != ' ') {
              seq = seq * 10 + (b[p++] - '0');
            }
            int text = skipFields(b, p + 1, end, 2);
            long[] fields = Body.parse(b, text, end);
            if (fields != null) {
              sink.accept(fields);
            }
            lastSeq = seq;
          } else if (end - i == 4 && b[i] == 'P' && b[i + 1] == 'I') {
            pong = true;
          }
          if (!r.hasBufferedLine()) {
            if (lastSeq >= 0) {
              out.write(("ACK main " + lastSeq + "\n").getBytes(StandardCharsets.US_ASCII));
              lastSeq = -1;
            }
            if (pong) {
              out.write("PONG\n".getBytes(StandardCharsets.US_ASCII));
              pong = false;
            }
            out.flush();
          }
        }
      } catch (IOException e) {
        // the coordinator closed the link (disconnect) or the run ended
      }
    }

    private static int skipFields(byte[] b, int i, int end, int count) {
      while (count > 0 && i < end) {
        if (b[i++] == ' ') {
          count--;
        }
      }
      return i;
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

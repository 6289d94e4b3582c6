package tempocast.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A plain TCP socket speaking the line protocol of docs/PROTOCOL.md, with bounded reads. */
final class RawLineSocket implements AutoCloseable {

  static final Duration READ_TIMEOUT = Duration.ofSeconds(15);

  final Socket socket;
  final InputStream in;
  final OutputStream out;

  RawLineSocket(Socket socket) throws IOException {
    this.socket = socket;
    socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
    socket.setTcpNoDelay(true);
    this.in = new BufferedInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  static RawLineSocket connect(int port) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
    return new RawLineSocket(s);
  }

  void send(String line) throws IOException {
    sendBytes((line + "\n").getBytes(StandardCharsets.UTF_8));
  }

  void sendBytes(byte[] b) throws IOException {
    out.write(b);
    out.flush();
  }

  /** The next line (without \n and a \r before it), or fails on timeout; null on EOF. */
  String readLine() throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try {
      while (true) {
        int b = in.read();
        if (b < 0) {
          if (buf.size() == 0) return null;
          fail(
              "connection closed in the middle of a line: ["
                  + buf.toString(StandardCharsets.UTF_8)
                  + "]");
        }
        if (b == '\n') break;
        buf.write(b);
      }
    } catch (SocketTimeoutException e) {
      fail(
          "no complete line within "
              + READ_TIMEOUT.toMillis()
              + " ms from "
              + socket.getRemoteSocketAddress()
              + " (partial: ["
              + buf.toString(StandardCharsets.UTF_8)
              + "])");
    }
    byte[] bytes = buf.toByteArray();
    int n = bytes.length;
    if (n > 0 && bytes[n - 1] == '\r') n--;
    return new String(bytes, 0, n, StandardCharsets.UTF_8);
  }

  /** Reads a line and fails if the connection is closed instead. */
  String expectLine(String what) throws IOException {
    String l = readLine();
    if (l == null) fail("connection closed while waiting for " + what);
    return l;
  }

  /** The {@code OWED} lines that {@link #expectMsg} passed over, in order. */
  final List<String> owed = new ArrayList<>();

  /**
   * Notices ({@code EVENT}, {@code DELIVERED}, {@code OWED}): a receiver shows them to its
   * participant and never acknowledges them.
   */
  private boolean isNotice(String l) {
    if (l.startsWith("OWED ")) {
      owed.add(l);
      return true;
    }
    return l.startsWith("EVENT ") || l.startsWith("DELIVERED ");
  }

  /** The next {@code MSG} line on a delivery connection, past any notices. */
  String expectMsg(String what) throws IOException {
    while (true) {
      String l = expectLine(what);
      if (!isNotice(l)) {
        return l;
      }
    }
  }

  /**
   * Waits until a delivery connection is closed, after any notices still on their way; fails if a
   * message arrives or the connection stays open.
   */
  void expectClosedAfterNotices(String what) throws IOException {
    while (true) {
      String l;
      try {
        l = readLine();
      } catch (SocketTimeoutException e) {
        fail(what + ": connection still open after " + READ_TIMEOUT.toMillis() + " ms");
        return;
      } catch (SocketException e) {
        return; // reset by peer: closed as well
      }
      if (l == null) {
        return;
      }
      if (!isNotice(l)) {
        fail(what + ": expected the connection to be closed, got [" + l + "]");
      }
    }
  }

  /**
   * Waits until the peer closes (EOF or reset); fails if a line arrives or nothing happens in time.
   */
  void expectClosed(String what) throws IOException {
    try {
      int b = in.read();
      if (b >= 0) {
        ByteArrayOutputStream rest = new ByteArrayOutputStream();
        rest.write(b);
        while (in.available() > 0 && rest.size() < 500) rest.write(in.read());
        fail(
            what
                + ": expected the connection to be closed, got data ["
                + rest.toString(StandardCharsets.UTF_8)
                + "]");
      }
    } catch (SocketTimeoutException e) {
      fail(what + ": connection still open after " + READ_TIMEOUT.toMillis() + " ms");
    } catch (SocketException e) {
      // reset by peer: closed as well
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }
}

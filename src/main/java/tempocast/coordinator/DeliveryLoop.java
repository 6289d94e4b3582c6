package tempocast.coordinator;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tempocast.Failures;
import tempocast.metrics.Metrics;
import tempocast.protocol.DeliveryCodec;
import tempocast.protocol.Lines;

/**
 * Every delivery connection of the coordinator on one event loop: one thread and one selector write
 * the delivery lines of all members and read their ACKs. A session hands its lines over without
 * waiting; the loop writes what every connection gathered since its last turn in one system call
 * per connection, so fan-out to many members costs no actor or stream per member and per message,
 * and a busy loop gathers more per write.
 *
 * <p>What a connection may hold is bounded by the session's window (messages and bytes in flight)
 * plus {@link #NOTICE_ROOM_BYTES} for notices, which the window does not count: a receiver that
 * stops reading costs at most that, and past it the connection is dropped (the session replays from
 * its cursor when the receiver is back). A PING goes out every heartbeat interval however busy the
 * connection; a receiver that sends nothing for heartbeat-timeout is taken as gone.
 */
public final class DeliveryLoop extends SelectorLoop implements DeliveryLink.Connector {
  private static final Logger log = LoggerFactory.getLogger(DeliveryLoop.class);

  private static final ByteString PING = Lines.line(DeliveryCodec.PING);

  /** Room for notices (EVENT, DELIVERED) beyond the delivery window's bytes. */
  static final long NOTICE_ROOM_BYTES = 4L << 20;

  /** ACK and PONG lines are short; anything longer is not a receiver speaking the protocol. */
  private static final int MAX_INBOUND_LINE = 256;

  /** How often connect deadlines, silences and heartbeats are looked at. */
  private static final long SWEEP_MILLIS = 50;

  private final CoordinatorSettings settings;
  private final Metrics metrics;
  private final long maxQueuedBytes;
  private final Queue<Connection> toRegister = new ConcurrentLinkedQueue<>();
  private final Queue<Connection> toFlush = new ConcurrentLinkedQueue<>();

  // Owned by the loop thread.
  private final List<Connection> connections = new ArrayList<>();
  private final ByteBuffer writeBuffer = ByteBuffer.allocateDirect(256 * 1024);
  private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);
  private long nextSweep;

  /** Sessions with cursor moves for the next progress sweep, and when it is due. */
  private final List<DeliveryLink.Listener> toSweep = new ArrayList<>();

  private long nextProgressSweep;

  public DeliveryLoop(CoordinatorSettings settings) {
    this(settings, Metrics.disabled());
  }

  public DeliveryLoop(CoordinatorSettings settings, Metrics metrics) {
    super("tempocast-delivery-loop", "delivery connections");
    this.settings = settings;
    this.metrics = metrics;
    this.maxQueuedBytes = settings.deliveryWindowBytes() + NOTICE_ROOM_BYTES;
    startLoop();
  }

  @Override
  public CompletionStage<DeliveryLink> connect(
      String host,
      int port,
      String member,
      int linkId,
      boolean awaitAnswer,
      ActorRef<ParticipantSession.Command> events,
      DeliveryLink.Listener listener) {
    Connection c = new Connection(host, port, member, linkId, awaitAnswer, events, listener);
    toRegister.add(c);
    wake();
    return c.up;
  }

  // ------------------------------------------------------------------ the loop

  @Override
  void stopped() {
    for (Connection c : List.copyOf(connections)) {
      c.end("the coordinator is stopping");
    }
  }

  @Override
  void turn() throws IOException {
    long now = System.currentTimeMillis();
    long due = toSweep.isEmpty() ? nextSweep : Math.min(nextSweep, nextProgressSweep);
    long wait = Math.max(1, due - now);
    if (toRegister.isEmpty() && toFlush.isEmpty()) {
      selector.select(wait);
    } else {
      selector.selectNow();
    }
    woken();
    Connection c;
    while ((c = toRegister.poll()) != null) {
      open(c);
    }
    Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
    while (keys.hasNext()) {
      SelectionKey key = keys.next();
      keys.remove();
      Connection k = (Connection) key.attachment();
      try {
        if (key.isValid() && key.isConnectable()) {
          k.finishConnect();
        }
        if (key.isValid() && key.isReadable()) {
          k.read();
        }
        if (key.isValid() && key.isWritable()) {
          k.writeOut();
        }
      } catch (IOException | RuntimeException e) {
        k.broke(e);
      }
    }
    while ((c = toFlush.poll()) != null) {
      c.flushScheduled.set(false);
      try {
        c.flush();
      } catch (IOException | RuntimeException e) {
        c.broke(e);
      }
    }
    now = System.currentTimeMillis();
    if (now >= nextSweep) {
      sweep(now);
      nextSweep = now + SWEEP_MILLIS;
    }
    if (toSweep.isEmpty()) {
      nextProgressSweep = now + settings.progressInterval().toMillis();
    } else if (now >= nextProgressSweep) {
      sweepProgress();
      nextProgressSweep = now + settings.progressInterval().toMillis();
    }
  }

  /**
   * Takes the cursor moves of every session whose receiver acknowledged since the last sweep to the
   * journal and the groups, gathered: at most one message to each per {@code progress-interval}.
   */
  private void sweepProgress() {
    ProgressSweep sweep = new ProgressSweep();
    for (DeliveryLink.Listener l : toSweep) {
      l.sweepProgress(sweep);
    }
    toSweep.clear();
    sweep.send();
  }

  private void open(Connection c) {
    try {
      InetSocketAddress address = new InetSocketAddress(c.host, c.port);
      if (address.isUnresolved()) {
        c.failConnect(new ConnectException("unknown host " + c.host));
        return;
      }
      SocketChannel channel = SocketChannel.open();
      c.channel = channel;
      channel.configureBlocking(false);
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      c.connectDeadline = System.currentTimeMillis() + settings.connectTimeout().toMillis();
      connections.add(c);
      if (channel.connect(address)) {
        c.key = channel.register(selector, 0, c);
        c.connected();
      } else {
        c.key = channel.register(selector, SelectionKey.OP_CONNECT, c);
      }
    } catch (IOException | UnresolvedAddressException | SecurityException e) {
      c.failConnect(e);
    }
  }

  private void sweep(long now) {
    long interval = settings.heartbeatInterval().toMillis();
    long timeout = settings.heartbeatTimeout().toMillis();
    for (int i = connections.size() - 1; i >= 0; i--) {
      Connection c = connections.get(i);
      if (c.ended) {
        connections.set(i, connections.get(connections.size() - 1));
        connections.remove(connections.size() - 1);
        continue;
      }
      try {
        if (!c.isConnected) {
          if (now >= c.connectDeadline) {
            c.failConnect(
                new ConnectException(
                    "no connection within " + settings.connectTimeout().toMillis() + " ms"));
          }
        } else if (now - c.lastHeard >= timeout) {
          metrics.heartbeatTimeout();
          c.end(
              "its receiver said nothing for "
                  + seconds(settings.heartbeatTimeout())
                  + " s (heartbeat-timeout)");
        } else if (now >= c.nextPing) {
          c.nextPing = now + interval;
          c.out.add(PING);
          c.writeOut();
        }
      } catch (IOException | RuntimeException e) {
        c.broke(e);
      }
    }
  }

  // ------------------------------------------------------------------ one connection

  private final class Connection implements DeliveryLink {
    final String host;
    final int port;
    final int linkId;
    final boolean awaitAnswer;
    final ActorRef<ParticipantSession.Command> events;
    final DeliveryLink.Listener listener;
    final CompletableFuture<DeliveryLink> up = new CompletableFuture<>();

    // Handed over by the session's thread.
    final Queue<ByteString> pending = new ConcurrentLinkedQueue<>();
    final AtomicLong queuedBytes = new AtomicLong();
    final AtomicBoolean flushScheduled = new AtomicBoolean();
    volatile boolean closeRequested;
    volatile boolean overflowed;
    volatile boolean ended;

    // The loop's own.
    SocketChannel channel;
    SelectionKey key;
    boolean isConnected;
    boolean answered;
    long connectDeadline;
    long lastHeard;
    long nextPing;
    final ArrayDeque<ByteString> out = new ArrayDeque<>();
    final byte[] line = new byte[MAX_INBOUND_LINE];
    final DeliveryCodec.AckReader acks = new DeliveryCodec.AckReader();
    int lineLength;

    Connection(
        String host,
        int port,
        String member,
        int linkId,
        boolean awaitAnswer,
        ActorRef<ParticipantSession.Command> events,
        DeliveryLink.Listener listener) {
      this.host = host;
      this.port = port;
      this.linkId = linkId;
      this.awaitAnswer = awaitAnswer;
      this.events = events;
      this.listener = listener;
      ByteString hello = Lines.line(DeliveryCodec.hello(member));
      // With awaitAnswer, the PING asks the receiver itself to answer.
      out.add(awaitAnswer ? hello.concat(PING) : hello);
    }

    // ---- from the session's thread

    @Override
    public void send(ByteString lines) {
      if (ended) {
        return;
      }
      pending.add(lines);
      if (queuedBytes.addAndGet(lines.length()) > maxQueuedBytes) {
        overflowed = true;
      }
      scheduleFlush();
    }

    @Override
    public void close() {
      closeRequested = true;
      scheduleFlush();
    }

    private void scheduleFlush() {
      if (flushScheduled.compareAndSet(false, true)) {
        toFlush.add(this);
        wake();
      }
    }

    // ---- on the loop

    void connected() throws IOException {
      isConnected = true;
      long now = System.currentTimeMillis();
      lastHeard = now;
      nextPing = now + settings.heartbeatInterval().toMillis();
      key.interestOps(SelectionKey.OP_READ);
      if (!awaitAnswer) {
        up.complete(this);
      }
      writeOut(); // HELLO
    }

    void finishConnect() throws IOException {
      try {
        if (channel.finishConnect()) {
          connected();
        }
      } catch (IOException e) {
        failConnect(e);
      }
    }

    void failConnect(Exception e) {
      if (!up.isDone()) {
        up.completeExceptionally(e);
      }
      end(Failures.firstMessage(e));
    }

    void flush() throws IOException {
      if (ended) {
        return;
      }
      if (overflowed) {
        end("the connection to its receiver broke (its receiver does not read what it is sent)");
        return;
      }
      ByteString b;
      while ((b = pending.poll()) != null) {
        out.add(b);
      }
      if (isConnected) {
        writeOut();
      }
      if (closeRequested && out.isEmpty()) {
        end("closed by the coordinator");
      }
    }

    /** Writes what is queued, as far as the socket takes it; waits for OP_WRITE for the rest. */
    void writeOut() throws IOException {
      while (!out.isEmpty()) {
        writeBuffer.clear();
        while (!out.isEmpty() && writeBuffer.hasRemaining()) {
          ByteString b = out.poll();
          int copied = b.copyToBuffer(writeBuffer);
          if (copied < b.length()) {
            out.addFirst(b.drop(copied));
          }
        }
        writeBuffer.flip();
        int total = writeBuffer.remaining();
        int written = channel.write(writeBuffer);
        queuedBytes.addAndGet(-written);
        if (written < total) {
          out.addFirst(ByteString.fromByteBuffer(writeBuffer));
          key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
          return;
        }
      }
      if (key.isValid()) {
        key.interestOps(SelectionKey.OP_READ);
      }
      if (closeRequested && pending.isEmpty()) {
        end("closed by the coordinator");
      }
    }

    void read() throws IOException {
      readBuffer.clear();
      int n = channel.read(readBuffer);
      if (n < 0) {
        end("its receiver closed the connection");
        return;
      }
      lastHeard = System.currentTimeMillis();
      readBuffer.flip();
      boolean spoke = false;
      // ACKs are cumulative: of a run of ACKs of one target, the last counts.
      String ackedTarget = null;
      long ackedSeq = 0;
      while (readBuffer.hasRemaining()) {
        byte b = readBuffer.get();
        if (b != '\n') {
          if (lineLength == MAX_INBOUND_LINE) {
            end(
                "the connection to its receiver broke (a line of more than "
                    + MAX_INBOUND_LINE
                    + " bytes)");
            return;
          }
          line[lineLength++] = b;
          continue;
        }
        int length = lineLength > 0 && line[lineLength - 1] == '\r' ? lineLength - 1 : lineLength;
        lineLength = 0;
        spoke = true;
        if (!acks.read(line, length)) {
          continue; // a PONG, or anything else: it spoke
        }
        if (acks.target().equals(ackedTarget)) {
          ackedSeq = Math.max(ackedSeq, acks.seq());
        } else {
          if (ackedTarget != null) {
            acked(ackedTarget, ackedSeq);
          }
          ackedTarget = acks.target();
          ackedSeq = acks.seq();
        }
      }
      if (spoke && !answered) {
        answered = true;
        up.complete(this);
      }
      if (ackedTarget != null) {
        acked(ackedTarget, ackedSeq);
      }
    }

    private void acked(String target, long seq) {
      if (listener == null) {
        events.tell(new ParticipantSession.LinkAcked(linkId, target, seq));
      } else if (listener.acked(linkId, target, seq)) {
        toSweep.add(listener);
      }
    }

    void broke(Exception e) {
      if (!up.isDone()) {
        failConnect(e);
      } else {
        end("the connection to its receiver broke (" + Failures.firstMessage(e) + ")");
      }
    }

    void end(String reason) {
      if (ended) {
        return;
      }
      ended = true;
      if (key != null) {
        key.cancel();
      }
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException e) {
          // closing anyway
        }
      }
      pending.clear();
      out.clear();
      if (!up.isDone()) {
        up.completeExceptionally(new ConnectException(reason));
      }
      events.tell(new ParticipantSession.LinkClosed(linkId, reason));
    }
  }

  private static String seconds(java.time.Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? String.valueOf(ms / 1000) : String.valueOf(ms / 1000.0);
  }
}

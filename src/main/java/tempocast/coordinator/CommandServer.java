package tempocast.coordinator;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tempocast.protocol.ClientCommand;
import tempocast.protocol.CommandCodec;
import tempocast.protocol.LineFramer;
import tempocast.protocol.Lines;
import tempocast.protocol.ProtocolException;
import tempocast.protocol.Reply;

/**
 * The coordinator's command port on one event loop: one thread and one selector accept the
 * connections and read their lines; each command goes to the actor that owns it, and its typed
 * reply is written back as a line, in the order of the commands, so a client may pipeline. An MSEND
 * goes straight to its group's manager, which checks the sender itself.
 *
 * <p>A reply is written by the thread that produces it (the answering actor's), straight to the
 * socket when it is the oldest one outstanding: a round trip costs the group's actor and the
 * journal, and no hand-off to a stream, a TCP actor or this loop on the way back. Only a reply the
 * socket cannot take at once waits for the loop. At most {@link #PIPELINE} commands per connection
 * are outstanding; past that the loop stops reading it, and the rest waits in TCP's buffers.
 */
public final class CommandServer extends SelectorLoop {
  private static final Logger log = LoggerFactory.getLogger(CommandServer.class);

  /** Commands in flight per connection; more wait in TCP's buffers (backpressure). */
  private static final int PIPELINE = 1024;

  /** How often idle connections are looked for. */
  private static final long SWEEP_MILLIS = 1000;

  private final CoordinatorSettings settings;
  private final CommandRoute route;
  private final Queue<Connection> toService = new ConcurrentLinkedQueue<>();
  private ServerSocketChannel server;

  // Owned by the loop thread.
  private final List<Connection> connections = new ArrayList<>();
  private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);
  private long nextSweep;

  public CommandServer(CoordinatorSettings settings, CommandRoute route) {
    super("tempocast-command-loop", "the command port");
    this.settings = settings;
    this.route = route;
  }

  /** Listens on the configured address and port; returns where (the port may have been 0). */
  public InetSocketAddress bind() throws IOException {
    ServerSocketChannel channel = ServerSocketChannel.open();
    try {
      channel.bind(new InetSocketAddress(settings.bind(), settings.port()), 1024);
      channel.configureBlocking(false);
      channel.register(selector, SelectionKey.OP_ACCEPT);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    server = channel;
    startLoop();
    return (InetSocketAddress) channel.getLocalAddress();
  }

  /** Stops listening when {@code system} shuts down, before the actors stop. */
  public void closeOnShutdown(ActorSystem<?> system) {
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseServiceUnbind(),
            "unbind-command-port",
            () -> {
              close();
              return CompletableFuture.completedFuture(Done.getInstance());
            });
  }

  // ------------------------------------------------------------------ the loop

  /** Stops listening and closes every command connection. */
  @Override
  void stopped() {
    for (Connection c : List.copyOf(connections)) {
      c.close();
    }
    try {
      server.close();
    } catch (IOException e) {
      // stopping anyway
    }
  }

  @Override
  void turn() throws IOException {
    long now = System.currentTimeMillis();
    if (toService.isEmpty()) {
      selector.select(Math.max(1, nextSweep - now));
    } else {
      selector.selectNow();
    }
    woken();
    Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
    while (keys.hasNext()) {
      SelectionKey key = keys.next();
      keys.remove();
      if (!key.isValid()) {
        continue;
      }
      if (key.isAcceptable()) {
        accept();
        continue;
      }
      Connection c = (Connection) key.attachment();
      try {
        if (key.isWritable()) {
          c.writeQueued();
        }
        if (key.isValid() && key.isReadable()) {
          c.read();
        }
      } catch (IOException | RuntimeException e) {
        c.close();
      }
    }
    Connection c;
    while ((c = toService.poll()) != null) {
      c.serviceRequested.set(false);
      try {
        c.service();
      } catch (IOException | RuntimeException e) {
        c.close();
      }
    }
    now = System.currentTimeMillis();
    if (now >= nextSweep) {
      closeIdle(now);
      nextSweep = now + SWEEP_MILLIS;
    }
  }

  private void accept() {
    SocketChannel channel;
    try {
      while ((channel = server.accept()) != null) {
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        Connection c = new Connection(channel);
        c.key = channel.register(selector, SelectionKey.OP_READ, c);
        connections.add(c);
      }
    } catch (IOException e) {
      // Out of file descriptors, or the client went away at once: the others go on.
      log.warn("Command port: cannot accept a connection: {}", e.toString());
    }
  }

  /** A connection with nothing outstanding and no line for idle-timeout is closed. */
  private void closeIdle(long now) {
    long idle = settings.idleTimeout().toMillis();
    for (int i = connections.size() - 1; i >= 0; i--) {
      Connection c = connections.get(i);
      if (c.closed) {
        connections.set(i, connections.get(connections.size() - 1));
        connections.remove(connections.size() - 1);
      } else if (now - c.lastActive >= idle && c.outstanding() == 0) {
        c.close();
      }
    }
  }

  // ------------------------------------------------------------------ one connection

  /** A reply not yet written; replies leave in the order their commands came. */
  private static final class Slot {
    ByteString line;
  }

  private final class Connection {
    final SocketChannel channel;
    SelectionKey key;

    /** What this connection proved with AUTH, by member. */
    final Map<String, String> credentials = new ConcurrentHashMap<>();

    final CommandRoute.Stream commands = route.open();

    // The loop's own: framing.
    final LineFramer.Splitter lines = new LineFramer.Splitter(Lines.MAX_LINE_BYTES);
    volatile boolean inputEnded;
    volatile boolean reading = true;
    volatile long lastActive = System.currentTimeMillis();
    volatile boolean closed;

    // Guarded by this connection's lock: replies in command order, and what the socket did not
    // take yet.
    final ArrayDeque<Slot> slots = new ArrayDeque<>();
    final ArrayDeque<ByteBuffer> unwritten = new ArrayDeque<>();

    final AtomicBoolean serviceRequested = new AtomicBoolean();

    Connection(SocketChannel channel) {
      this.channel = channel;
    }

    synchronized int outstanding() {
      return slots.size();
    }

    // ---- on the loop

    void read() throws IOException {
      readBuffer.clear();
      int n = channel.read(readBuffer);
      if (n < 0) {
        // The client sent all it will: its outstanding replies still go out, then it is closed.
        inputEnded = true;
        key.interestOps(key.interestOps() & ~SelectionKey.OP_READ);
        reading = false;
        closeIfDone();
        return;
      }
      lastActive = System.currentTimeMillis();
      readBuffer.flip();
      for (ByteString line : lines.split(ByteString.fromByteBuffer(readBuffer))) {
        Slot slot = new Slot();
        synchronized (this) {
          slots.addLast(slot);
        }
        CompletionStage<ByteString> reply;
        try {
          reply = handle(line, this);
        } catch (RuntimeException e) {
          log.error("Command port: {}", e.toString());
          reply = done(internalError());
        }
        reply.whenCompleteAsync(
            (r, err) -> answered(slot, err == null ? r : LocalCommands.rendered(internalError())),
            LocalCommands.IN_PLACE);
      }
      if (outstanding() >= PIPELINE) {
        key.interestOps(key.interestOps() & ~SelectionKey.OP_READ);
        reading = false;
      }
    }

    /** Asked for by a replying thread: resume reading, finish a write, or close. */
    void service() throws IOException {
      if (closed) {
        return;
      }
      writeQueued();
      if (!closed && !reading && !inputEnded && outstanding() < PIPELINE / 2) {
        reading = true;
        key.interestOps(key.interestOps() | SelectionKey.OP_READ);
      }
      closeIfDone();
    }

    synchronized void writeQueued() throws IOException {
      if (closed) {
        return;
      }
      while (!unwritten.isEmpty()) {
        ByteBuffer b = unwritten.peekFirst();
        channel.write(b);
        if (b.hasRemaining()) {
          key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
          return;
        }
        unwritten.pollFirst();
      }
      key.interestOps(key.interestOps() & ~SelectionKey.OP_WRITE);
    }

    private void closeIfDone() {
      boolean done;
      synchronized (this) {
        done = inputEnded && slots.isEmpty() && unwritten.isEmpty();
      }
      if (done) {
        close();
      }
    }

    void close() {
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
        slots.clear();
        unwritten.clear();
      }
      commands.closed();
      key.cancel();
      try {
        channel.close();
      } catch (IOException e) {
        // closing anyway
      }
    }

    // ---- on the replying thread

    /**
     * Fills the command's slot; if it is the oldest outstanding, writes it and every later one that
     * is ready, straight to the socket, as far as it takes them.
     */
    void answered(Slot slot, ByteString line) {
      boolean needLoop = false;
      synchronized (this) {
        slot.line = line;
        if (closed) {
          return;
        }
        ByteString ready = null;
        while (!slots.isEmpty() && slots.peekFirst().line != null) {
          ByteString l = slots.pollFirst().line;
          ready = ready == null ? l : ready.concat(l);
        }
        if (ready != null) {
          lastActive = System.currentTimeMillis();
          ByteBuffer b = ready.asByteBuffer();
          if (unwritten.isEmpty()) {
            try {
              channel.write(b);
            } catch (IOException e) {
              needLoop = true; // the loop finds the connection broken when it reads
            }
          }
          if (b.hasRemaining()) {
            unwritten.addLast(b);
            needLoop = true;
          }
        }
        needLoop |= !reading || inputEnded;
      }
      if (needLoop && serviceRequested.compareAndSet(false, true)) {
        toService.add(this);
        wake();
      }
    }
  }

  // ------------------------------------------------------------------ commands

  private static Reply.Error internalError() {
    return new Reply.Error(
        Reply.ErrorCode.INTERNAL, "the coordinator failed on this command; retry it");
  }

  private CompletionStage<ByteString> handle(ByteString bytes, Connection connection) {
    if (bytes == LineFramer.TOO_LONG) {
      return done(
          new Reply.Error(
              Reply.ErrorCode.TOO_LONG,
              "line longer than "
                  + Lines.MAX_LINE_BYTES
                  + " bytes; it was skipped up to its line end"));
    }
    ClientCommand cmd;
    try {
      cmd = CommandCodec.parse(Lines.decode(bytes));
    } catch (ProtocolException e) {
      return done(new Reply.Error(Reply.ErrorCode.of(e.code()), e.getMessage()));
    }
    if (cmd instanceof ClientCommand.Ping) {
      return done(Reply.Pong.INSTANCE);
    }
    if (cmd instanceof ClientCommand.Auth a) {
      connection.credentials.put(a.member(), Secrets.hash(a.secret()));
      return done(new Reply.Authenticated(a.group(), a.member()));
    }
    return connection.commands.route(cmd, bytes, connection.credentials.get(cmd.member()));
  }

  private static CompletionStage<ByteString> done(Reply reply) {
    return CompletableFuture.completedFuture(LocalCommands.rendered(reply));
  }
}

package tempocast.coordinator;

import java.io.IOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.Selector;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread turning one selector until closed: what the command port's loop and the delivery loop
 * share. Other threads hand work over through the subclass's queues and {@link #wake}, which costs
 * a system call only when the loop is not already awake.
 */
abstract class SelectorLoop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SelectorLoop.class);

  final Selector selector;
  private final String name;
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  private volatile boolean running = true;

  SelectorLoop(String name, String what) {
    this.name = name;
    try {
      this.selector = Selector.open();
    } catch (IOException e) {
      throw new IllegalStateException("cannot open a selector for " + what, e);
    }
  }

  final void startLoop() {
    Thread thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  /** Stops the loop; {@link #stopped} then runs on it. */
  @Override
  public void close() {
    running = false;
    selector.wakeup();
  }

  final void wake() {
    if (wakeupPending.compareAndSet(false, true)) {
      selector.wakeup();
    }
  }

  /**
   * Called by the turn after its select and before it drains its queues: anything queued from now
   * on wakes the next select.
   */
  final void woken() {
    wakeupPending.set(false);
  }

  /** One select and what it found; an exception ends the turn, not the loop. */
  abstract void turn() throws IOException;

  /** On the loop, once closed: ends the connections. */
  abstract void stopped();

  private void run() {
    while (running) {
      try {
        turn();
      } catch (ClosedSelectorException e) {
        return;
      } catch (IOException | RuntimeException e) {
        // One connection's trouble ends that connection (in the subclass); this is the loop's own.
        log.error("{}: {}", name, e.toString());
      }
    }
    stopped();
    try {
      selector.close();
    } catch (IOException e) {
      // stopping anyway
    }
  }
}

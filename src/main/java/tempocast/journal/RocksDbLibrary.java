package tempocast.journal;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;

/**
 * Loads RocksDB's native library from one copy per library build in the user's cache directory
 * ({@code ~/.cache/tempocast/rocksdbjni-CRC/}). RocksDB's own loader copies the 15 MB library out
 * of the jar into a new temporary file at every start and deletes it when the JVM exits normally: a
 * process killed with SIGKILL (what the crash tests and a careless operator do) leaves its copy
 * behind in {@code /tmp}, and a thousand kills fill 15 GB. If the cache cannot be used, RocksDB's
 * own loader does the job as before.
 */
final class RocksDbLibrary {
  private RocksDbLibrary() {}

  static void load() {
    try {
      Path dir = cached();
      if (dir != null) {
        RocksDB.loadLibrary(List.of(dir.toString()));
        return;
      }
    } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
      // RocksDB's own way, below
    }
    RocksDB.loadLibrary();
  }

  /** The directory holding this build's library, copied there if it was not yet; null: none. */
  private static Path cached() throws IOException {
    String name = Environment.getJniLibraryFileName("rocksdb");
    URL url = RocksDB.class.getClassLoader().getResource(name);
    if (url == null) {
      return null;
    }
    URLConnection connection = url.openConnection();
    if (!(connection instanceof JarURLConnection jar) || jar.getJarEntry() == null) {
      return null;
    }
    String home = System.getProperty("user.home");
    if (home == null || home.isEmpty() || home.equals("?")) {
      return null;
    }
    // The entry's checksum and size name the build: another rocksdbjni version gets its own copy.
    String build = Long.toHexString(jar.getJarEntry().getCrc()) + "-" + jar.getJarEntry().getSize();
    Path dir = Path.of(home, ".cache", "tempocast", "rocksdbjni-" + build);
    // The name RocksDB.loadLibrary(paths) looks for (in 9.7 it doubles the "jni" of the name
    // the jar holds the library under).
    Path library = dir.resolve(Environment.getJniLibraryFileName("rocksdbjni"));
    if (!Files.isRegularFile(library) || Files.size(library) != jar.getJarEntry().getSize()) {
      Files.createDirectories(dir);
      // Copied under a name of its own, then renamed: a process starting beside this one never
      // sees a half-written library.
      Path part = Files.createTempFile(dir, "rocksdbjni", ".part");
      try (InputStream in = jar.getInputStream()) {
        Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
        Files.move(part, library, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(part);
      }
    }
    return dir;
  }
}

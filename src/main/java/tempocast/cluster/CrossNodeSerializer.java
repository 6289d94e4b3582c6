package tempocast.cluster;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.UncheckedIOException;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Writes the coordinator role's messages for the wire in a few fields each: every forwarded command
 * and its answer cross between nodes, so they cost what their bytes cost and no general mapper's
 * reflection. The reference to answer to is Pekko's own serialized form.
 */
public final class CrossNodeSerializer extends SerializerWithStringManifest {
  private static final String FORWARD = "F";
  private static final String ANSWER = "A";
  private static final String GIVEN_UP = "G";
  private static final String CLOSED = "C";

  private final ExtendedActorSystem system;
  private volatile ActorRefResolver resolver;

  public CrossNodeSerializer(ExtendedActorSystem system) {
    this.system = system;
  }

  @Override
  public int identifier() {
    return 7_317_001;
  }

  private ActorRefResolver resolver() {
    ActorRefResolver r = resolver;
    if (r == null) {
      r = ActorRefResolver.get(Adapter.toTyped(system));
      resolver = r;
    }
    return r;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof CoordinatorRole.Forward) {
      return FORWARD;
    }
    if (o instanceof CoordinatorRole.Answer) {
      return ANSWER;
    }
    if (o instanceof CoordinatorRole.GivenUp) {
      return GIVEN_UP;
    }
    if (o instanceof CoordinatorRole.Closed) {
      return CLOSED;
    }
    throw new IllegalArgumentException("not a cross-node message: " + o.getClass().getName());
  }

  @Override
  public byte[] toBinary(Object o) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      if (o instanceof CoordinatorRole.Forward f) {
        out.writeUTF(f.origin());
        out.writeLong(f.n());
        out.writeLong(f.oldest());
        out.writeBoolean(f.credential() != null);
        if (f.credential() != null) {
          out.writeUTF(f.credential());
        }
        out.writeUTF(resolver().toSerializationFormat(f.replyTo()));
        writeBytes(out, f.line());
      } else if (o instanceof CoordinatorRole.Answer a) {
        out.writeUTF(a.origin());
        out.writeLong(a.n());
        writeBytes(out, a.line());
      } else if (o instanceof CoordinatorRole.GivenUp g) {
        out.writeUTF(g.origin());
        out.writeLong(g.n());
      } else if (o instanceof CoordinatorRole.Closed c) {
        out.writeUTF(c.origin());
      } else {
        throw new IllegalArgumentException("not a cross-node message: " + o.getClass().getName());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return bytes.toByteArray();
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      switch (manifest) {
        case FORWARD -> {
          String origin = in.readUTF();
          long n = in.readLong();
          long oldest = in.readLong();
          String credential = in.readBoolean() ? in.readUTF() : null;
          String replyTo = in.readUTF();
          byte[] line = readBytes(in);
          return new CoordinatorRole.Forward(
              origin, n, oldest, line, credential, resolver().resolveActorRef(replyTo));
        }
        case ANSWER -> {
          String origin = in.readUTF();
          long n = in.readLong();
          return new CoordinatorRole.Answer(origin, n, readBytes(in));
        }
        case GIVEN_UP -> {
          return new CoordinatorRole.GivenUp(in.readUTF(), in.readLong());
        }
        case CLOSED -> {
          return new CoordinatorRole.Closed(in.readUTF());
        }
        default -> throw new NotSerializableException("unknown manifest '" + manifest + "'");
      }
    } catch (IOException e) {
      throw new NotSerializableException("a cross-node message cut short: " + e);
    }
  }

  private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
    out.writeInt(b.length);
    out.write(b);
  }

  private static byte[] readBytes(DataInputStream in) throws IOException {
    byte[] b = new byte[in.readInt()];
    in.readFully(b);
    return b;
  }
}

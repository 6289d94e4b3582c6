package tempocast.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * What crosses between nodes goes through the serializer that {@code tempocast/cluster.conf} binds
 * and comes back whole: a command line with any bytes, its credential (or none), and where to
 * answer.
 */
class CrossNodeMessagesTest {
  static final ActorTestKit kit =
      ActorTestKit.create(
          "tempocast",
          ClusterNode.pekkoConfig(
              new ClusterSettings(new ClusterSettings.Address("127.0.0.1", 0), List.of())));

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  static Object roundTrip(Object message) {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
    var serializer = serialization.findSerializerFor(message);
    assertEquals(CrossNodeSerializer.class.getName(), serializer.getClass().getName());
    byte[] bytes = serialization.serialize(message).get();
    return serialization
        .deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, message))
        .get();
  }

  @Test
  void aForwardedCommandAndItsAnswerCrossWhole() {
    TestProbe<CoordinatorRole.Answer> probe = kit.createTestProbe();
    byte[] line = "MSEND main alice m-1 h\u00e9llo \u0000\u00ff".getBytes(StandardCharsets.UTF_8);
    var forward = new CoordinatorRole.Forward("origin-1", 7, 5, line, "c2VjcmV0", probe.getRef());
    var back = (CoordinatorRole.Forward) roundTrip(forward);
    assertArrayEquals(line, back.line());
    assertEquals("c2VjcmV0", back.credential());
    assertEquals(probe.getRef(), back.replyTo());
    assertEquals(List.of("origin-1", 7L, 5L), List.of(back.origin(), back.n(), back.oldest()));
    assertEquals(
        new CoordinatorRole.GivenUp("origin-1", 9),
        roundTrip(new CoordinatorRole.GivenUp("origin-1", 9)));
    assertEquals(
        new CoordinatorRole.Closed("origin-1"), roundTrip(new CoordinatorRole.Closed("origin-1")));
    assertNull(
        ((CoordinatorRole.Forward)
                roundTrip(
                    new CoordinatorRole.Forward("origin-1", 8, 5, line, null, probe.getRef())))
            .credential());
    byte[] answer = "OK SENT main 1\n".getBytes(StandardCharsets.UTF_8);
    var back2 =
        (CoordinatorRole.Answer) roundTrip(new CoordinatorRole.Answer("origin-1", 7, answer));
    assertArrayEquals(answer, back2.line());
    assertEquals(List.of("origin-1", 7L), List.of(back2.origin(), back2.n()));
  }
}

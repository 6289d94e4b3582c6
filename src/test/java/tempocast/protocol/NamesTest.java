package tempocast.protocol;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NamesTest {
  @Test
  void namesAreLettersDigitsDotUnderscoreDash() {
    assertTrue(Names.isValidName("alice.B-2_x"));
    assertTrue(Names.isValidName("a".repeat(64)));
    assertFalse(Names.isValidName("a".repeat(65)));
    assertFalse(Names.isValidName(""));
    assertFalse(Names.isValidName(null));
    assertFalse(Names.isValidName("al ice"));
    assertFalse(Names.isValidName("a:b"));
    assertFalse(Names.isValidName("é"));
  }

  @Test
  void messageIdsMayHaveColons() {
    assertTrue(Names.isValidMsgId("lz3k:42"));
    assertFalse(Names.isValidMsgId("a/b"));
    assertFalse(Names.isValidMsgId("-".repeat(65)));
  }
}

package tempocast.http;

/** A small JSON writer for the HTTP API's answers: objects, arrays, strings, numbers, booleans. */
final class Json {
  private final StringBuilder sb = new StringBuilder(256);
  private boolean first = true;

  Json beginObject() {
    sep();
    sb.append('{');
    first = true;
    return this;
  }

  Json endObject() {
    sb.append('}');
    first = false;
    return this;
  }

  Json beginArray() {
    sep();
    sb.append('[');
    first = true;
    return this;
  }

  Json endArray() {
    sb.append(']');
    first = false;
    return this;
  }

  /** A member name inside an object; the value follows. */
  Json name(String name) {
    sep();
    string(name);
    sb.append(':');
    first = true;
    return this;
  }

  Json value(String s) {
    sep();
    if (s == null) {
      sb.append("null");
    } else {
      string(s);
    }
    return this;
  }

  Json value(long n) {
    sep();
    sb.append(n);
    return this;
  }

  Json value(double d) {
    sep();
    if (Double.isFinite(d)) {
      sb.append(Math.round(d * 1000) / 1000.0);
    } else {
      sb.append("null");
    }
    return this;
  }

  Json value(boolean b) {
    sep();
    sb.append(b);
    return this;
  }

  Json field(String name, String v) {
    return name(name).value(v);
  }

  Json field(String name, long v) {
    return name(name).value(v);
  }

  Json field(String name, double v) {
    return name(name).value(v);
  }

  Json field(String name, boolean v) {
    return name(name).value(v);
  }

  private void sep() {
    if (!first) {
      sb.append(',');
    }
    first = false;
  }

  private void string(String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  @Override
  public String toString() {
    return sb.toString();
  }

  static String error(String message) {
    return new Json().beginObject().field("error", message).endObject().toString();
  }
}

package tempocast.http;

import java.time.Instant;
import tempocast.journal.MessageJournal;

/** The JSON of the {@link Monitor.Overview} and of its parts, as the API serves them. */
final class Overviews {
  private Overviews() {}

  static String overview(Monitor.Overview o) {
    Json j = new Json().beginObject().field("at", iso(o.at()));
    j.name("counts").beginObject();
    for (String k : new String[] {"registered", "online", "lost", "offline", "lagging"}) {
      j.field(k, o.counts().getOrDefault(k, 0L));
    }
    j.endObject();
    j.name("journal").beginObject().field("bytes", o.journalBytes());
    MessageJournal.Oldest oldest = o.oldest();
    if (oldest != null && oldest.timestamp() >= 0) {
      j.name("oldest")
          .beginObject()
          .field("target", oldest.target())
          .field("seq", oldest.seq())
          .field("timestamp", iso(oldest.timestamp()))
          .endObject();
    } else {
      j.name("oldest").value((String) null);
    }
    j.endObject();
    j.name("groups");
    groups(j, o, true);
    j.name("members");
    members(j, o);
    j.name("rates").beginArray();
    for (Monitor.RatePoint r : o.rates()) {
      j.beginObject()
          .field("at", r.at())
          .field("stored", r.stored())
          .field("acknowledged", r.acknowledged())
          .endObject();
    }
    j.endArray();
    j.name("events").beginArray();
    for (Monitor.Event e : o.events()) {
      j.beginObject().field("at", iso(e.at())).field("kind", e.kind()).field("member", e.member());
      if (e.group() != null) {
        j.field("group", e.group());
      }
      j.endObject();
    }
    j.endArray();
    return j.endObject().toString();
  }

  static String groups(Monitor.Overview o) {
    Json j = new Json();
    groups(j, o, false);
    return j.toString();
  }

  private static void groups(Json j, Monitor.Overview o, boolean withMembers) {
    j.beginArray();
    for (Monitor.GroupView g : o.groups()) {
      group(j, g, withMembers);
    }
    j.endArray();
  }

  /** null: no such group. */
  static String group(Monitor.Overview o, String name) {
    for (Monitor.GroupView g : o.groups()) {
      if (g.name().equals(name)) {
        Json j = new Json();
        group(j, g, true);
        return j.toString();
      }
    }
    return null;
  }

  private static void group(Json j, Monitor.GroupView g, boolean withMembers) {
    j.beginObject()
        .field("name", g.name())
        .field("tdSeconds", g.tdMillis() / 1000.0)
        .field("messages", g.messages())
        .field("lastMessageAt", g.lastTimestamp() > 0 ? iso(g.lastTimestamp()) : null)
        .field("messagesPerSecond", g.rate())
        .field("memberCount", g.members().size())
        .field("online", g.online());
    if (withMembers) {
      j.name("members").beginArray();
      for (Monitor.GroupMember m : g.members()) {
        j.beginObject()
            .field("id", m.id())
            .field("state", m.state())
            .field("received", m.received())
            .field("lag", m.lag())
            .endObject();
      }
      j.endArray();
    }
    j.endObject();
  }

  static String members(Monitor.Overview o) {
    Json j = new Json();
    members(j, o);
    return j.toString();
  }

  private static void members(Json j, Monitor.Overview o) {
    j.beginArray();
    for (Monitor.MemberView m : o.members()) {
      member(j, m);
    }
    j.endArray();
  }

  /** null: no such participant. */
  static String member(Monitor.Overview o, String id) {
    for (Monitor.MemberView m : o.members()) {
      if (m.id().equals(id)) {
        Json j = new Json();
        member(j, m);
        return j.toString();
      }
    }
    return null;
  }

  /** Each of its groups and its inbox ({@code @ID}): messages received since joining, and lag. */
  private static void member(Json j, Monitor.MemberView m) {
    j.beginObject()
        .field("id", m.id())
        .field("state", m.state())
        .field("lag", m.lag())
        .field("lagging", m.lagging());
    j.name("targets").beginArray();
    for (Monitor.GroupMember g : m.groups()) {
      j.beginObject()
          .field("target", g.id())
          .field("received", g.received())
          .field("lag", g.lag())
          .endObject();
    }
    j.endArray();
    j.endObject();
  }

  static String iso(long millis) {
    return Instant.ofEpochMilli(millis).toString();
  }
}

-- The journal of tempocast coordinators on PostgreSQL (PostgresJournalStore), one row per record of
-- RocksDbJournalStore's key space. Names are compared with COLLATE "C", byte order of their UTF-8,
-- so that load() lists them in the order the RocksDB store does, whatever the database's locale.

-- A target's (a group's or an inbox's) last assigned seq; kept when every message is pruned and
-- when the group is removed, so that no seq of a name is ever given twice.
CREATE TABLE journal_targets (
  target   text COLLATE "C" PRIMARY KEY,
  last_seq bigint NOT NULL
);

-- The primary key is the index for reading a target by seq, and for pruning: prune walks a
-- target's messages from its oldest seq and stops at the first one young enough to stay, so an
-- index on the timestamp would only slow every append down.
CREATE TABLE journal_messages (
  target text COLLATE "C" NOT NULL,
  seq    bigint NOT NULL,
  ts     bigint NOT NULL,
  sender text NOT NULL,
  msg_id text,
  body   bytea NOT NULL,
  PRIMARY KEY (target, seq)
);

CREATE TABLE journal_groups (
  name      text COLLATE "C" PRIMARY KEY,
  td_millis bigint NOT NULL
);

CREATE TABLE journal_participants (
  id            text COLLATE "C" PRIMARY KEY,
  online        boolean NOT NULL,
  offline_since bigint NOT NULL,
  host          text NOT NULL,
  port          integer NOT NULL,
  secret_hash   text
);

CREATE TABLE journal_memberships (
  target   text COLLATE "C" NOT NULL,
  member   text COLLATE "C" NOT NULL,
  join_seq bigint NOT NULL,
  cursor   bigint NOT NULL,
  PRIMARY KEY (target, member)
);

CREATE TABLE journal_ended_memberships (
  target   text COLLATE "C" NOT NULL,
  member   text COLLATE "C" NOT NULL,
  join_seq bigint NOT NULL,
  end_seq  bigint NOT NULL,
  PRIMARY KEY (target, member, join_seq)
);

-- When a member acknowledged up to seq (coordinator time, epoch ms).
CREATE TABLE journal_acks (
  target   text COLLATE "C" NOT NULL,
  member   text COLLATE "C" NOT NULL,
  seq      bigint NOT NULL,
  acked_at bigint NOT NULL,
  PRIMARY KEY (target, member, seq)
);

-- Of what came after after_seq, what is older than not_before never reached the member.
CREATE TABLE journal_expiry_markers (
  target     text COLLATE "C" NOT NULL,
  member     text COLLATE "C" NOT NULL,
  after_seq  bigint NOT NULL,
  not_before bigint NOT NULL,
  PRIMARY KEY (target, member, after_seq)
);

-- PROTOTYPE, not part of the Alembic history: the distribution of Canopy's schema on Citus as
-- designed in docs-notes/citus.md, run by db/citus/probe.sh on a database migrated to head.
-- It distributes cleanly (one transaction, about 6 s on an empty schema), but the application
-- does not yet write the new keys (user_external_ids, activity_event_ids, owner_id), so the
-- suite fails on it; see docs-notes/citus.md for what must change first.
SET client_min_messages = warning;
-- DDL on distributed tables after a parallel (multi-shard) command in the same transaction is
-- refused; Alembic runs a migration as one transaction, so every shard command goes sequential.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

-- 1. Public counters: statement triggers with transition tables that update a reference
-- table. On a distributed table they fire on the worker's shard; with
-- citus.enable_unsafe_triggers a worker segfaulted at COMMIT PREPARED and the counters missed
-- the rows. On Citus the counters must be kept by the services (or a job), not by triggers.
DROP TRIGGER public_counters_users_ins ON users;
DROP TRIGGER public_counters_users_upd ON users;
DROP TRIGGER public_counters_orders_ins ON planting_orders;
DROP TRIGGER public_counters_orders_upd ON planting_orders;
DROP TRIGGER public_counters_eggs_ins ON charity_projects;
DROP TRIGGER public_counters_eggs_upd ON charity_projects;

-- 2. Foreign keys Citus cannot keep: between distributed tables they must join on the
-- distribution column of both sides (a second user of a row: thief, giver, friend, trough,
-- inviter), and a reference table may not point at a distributed one (group owner).
ALTER TABLE steals DROP CONSTRAINT fk_steals_thief_user_id_users;
ALTER TABLE waterings DROP CONSTRAINT fk_waterings_giver_user_id_users;
ALTER TABLE friendships DROP CONSTRAINT fk_friendships_high_user_id_users;
ALTER TABLE farm_meals DROP CONSTRAINT fk_farm_meals_trough_user_id_users;
ALTER TABLE group_members DROP CONSTRAINT fk_group_members_invited_by_user_id_users;
ALTER TABLE planting_groups DROP CONSTRAINT fk_planting_groups_owner_user_id_users;
ALTER TABLE planting_orders DROP CONSTRAINT fk_planting_orders_user_id_users;
ALTER TABLE certificates DROP CONSTRAINT fk_certificates_order_id_planting_orders;
ALTER TABLE certificates DROP CONSTRAINT fk_certificates_duty_certificate_id_certificates;
ALTER TABLE ledger_entries DROP CONSTRAINT fk_ledger_entries_transaction_id_ledger_transactions;
ALTER TABLE ledger_accounts DROP CONSTRAINT fk_ledger_accounts_user_id_users;
-- re-made below on (owner, ball) and (owner, account)
ALTER TABLE steals DROP CONSTRAINT fk_steals_ball_id_balls;
ALTER TABLE waterings DROP CONSTRAINT fk_waterings_ball_id_balls;
ALTER TABLE ledger_entries DROP CONSTRAINT fk_ledger_entries_account_id_ledger_accounts;

-- 3. Globally unique keys that do not contain a user: each moves to its own lookup table
-- distributed by that key (the app must write the lookup row in the same transaction).
ALTER TABLE users DROP CONSTRAINT uq_users_external_id;
CREATE TABLE user_external_ids (
  external_id varchar(64) PRIMARY KEY,
  user_id bigint NOT NULL);
-- (source, id) is claimed in activity_event_ids first (ON CONFLICT DO NOTHING, ids sorted);
-- only claimed ids are inserted into activity_events, in the same (two-phase) transaction.
-- The stored payload_hash answers a retry (same hash) or a conflict (other hash, even when
-- the other event named another user) without knowing where the first event lives.
ALTER TABLE activity_events DROP CONSTRAINT uq_activity_events_source_source_event_id,
  ADD CONSTRAINT uq_activity_events_user_id_source_source_event_id
    UNIQUE (user_id, source, source_event_id);
CREATE TABLE activity_event_ids (
  source varchar(64) NOT NULL,
  source_event_id varchar(128) NOT NULL,
  user_id bigint NOT NULL,
  payload_hash varchar(64) NOT NULL,
  CONSTRAINT pk_activity_event_ids PRIMARY KEY (source, source_event_id));
-- numbers come from certificate_counters (a reference table, row-locked per series and year)
ALTER TABLE certificates DROP CONSTRAINT uq_certificates_number;

-- 4. Every primary and unique key of a distributed table contains its distribution column.
ALTER TABLE activity_events DROP CONSTRAINT pk_activity_events,
  ADD CONSTRAINT pk_activity_events PRIMARY KEY (user_id, id);
ALTER TABLE balls DROP CONSTRAINT pk_balls, ADD CONSTRAINT pk_balls PRIMARY KEY (user_id, id);
ALTER TABLE idempotency_keys DROP CONSTRAINT pk_idempotency_keys,
  ADD CONSTRAINT pk_idempotency_keys PRIMARY KEY (user_id, id);
ALTER TABLE steals DROP CONSTRAINT pk_steals,
  ADD CONSTRAINT pk_steals PRIMARY KEY (owner_user_id, id);
-- a ball has one owner, so (owner, ball, thief) is as strict as (ball, thief)
ALTER TABLE steals DROP CONSTRAINT uq_steals_ball_id_thief_user_id,
  ADD CONSTRAINT uq_steals_ball_id_thief_user_id UNIQUE (owner_user_id, ball_id, thief_user_id);
ALTER TABLE waterings DROP CONSTRAINT pk_waterings,
  ADD CONSTRAINT pk_waterings PRIMARY KEY (receiver_user_id, id);
ALTER TABLE friendships DROP CONSTRAINT pk_friendships,
  ADD CONSTRAINT pk_friendships PRIMARY KEY (low_user_id, id);
ALTER TABLE farm_meals DROP CONSTRAINT pk_farm_meals,
  ADD CONSTRAINT pk_farm_meals PRIMARY KEY (chicken_user_id, id);
ALTER TABLE farm_feed_grants DROP CONSTRAINT pk_farm_feed_grants,
  ADD CONSTRAINT pk_farm_feed_grants PRIMARY KEY (user_id, id);
ALTER TABLE farm_feedings DROP CONSTRAINT pk_farm_feedings,
  ADD CONSTRAINT pk_farm_feedings PRIMARY KEY (user_id, id);
ALTER TABLE farm_quiz_answers DROP CONSTRAINT pk_farm_quiz_answers,
  ADD CONSTRAINT pk_farm_quiz_answers PRIMARY KEY (user_id, id);
ALTER TABLE egg_donations DROP CONSTRAINT pk_egg_donations,
  ADD CONSTRAINT pk_egg_donations PRIMARY KEY (user_id, id);
ALTER TABLE certificates DROP CONSTRAINT pk_certificates,
  ADD CONSTRAINT pk_certificates PRIMARY KEY (user_id, id);
ALTER TABLE group_contributions DROP CONSTRAINT pk_group_contributions,
  ADD CONSTRAINT pk_group_contributions PRIMARY KEY (user_id, id);
-- orders live with their project (partners review per project; group orders have no user);
-- a group belongs to one project, so (project, group) is as strict as (group)
ALTER TABLE planting_orders DROP CONSTRAINT pk_planting_orders,
  ADD CONSTRAINT pk_planting_orders PRIMARY KEY (project_id, id);
ALTER TABLE planting_orders DROP CONSTRAINT uq_planting_orders_group_id,
  ADD CONSTRAINT uq_planting_orders_group_id UNIQUE (project_id, group_id);
-- ledger: a NULL cannot be a distribution value, so system accounts (user_id NULL) belong to
-- owner 0 and every entry carries its account's owner
ALTER TABLE ledger_accounts ADD COLUMN owner_id bigint NOT NULL DEFAULT 0;
DROP INDEX uq_ledger_accounts_system_code;
ALTER TABLE ledger_accounts DROP CONSTRAINT uq_ledger_accounts_user_id_code,
  ADD CONSTRAINT uq_ledger_accounts_owner_id_code UNIQUE (owner_id, code);
ALTER TABLE ledger_accounts DROP CONSTRAINT pk_ledger_accounts,
  ADD CONSTRAINT pk_ledger_accounts PRIMARY KEY (owner_id, id);
ALTER TABLE ledger_entries ADD COLUMN owner_id bigint NOT NULL DEFAULT 0;
ALTER TABLE ledger_entries DROP CONSTRAINT pk_ledger_entries,
  ADD CONSTRAINT pk_ledger_entries PRIMARY KEY (owner_id, id);

-- 5. Citus turns every local table that an FK links to a new reference table into a "citus
-- local" table, which can then never be co-located. So: every remaining FK is set aside,
-- the tables are distributed, and the FKs are put back (all of them are allowed by then).
CREATE TEMP TABLE citus_saved_fks ON COMMIT DROP AS
  SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def
  FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace;
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT * FROM citus_saved_fks LOOP
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', r.tbl, r.conname);
  END LOOP;
END $$;

-- 6. Small shared tables: reference tables (a copy on every node, joined locally).
-- Known wrong: settlement_batches is claimed with FOR UPDATE SKIP LOCKED, which does not skip
-- on a reference table (the claim hung); it must become a distributed table instead.
SELECT create_reference_table(t) FROM unnest(ARRAY[
  'activity_types', 'methodology_versions', 'partners', 'partner_signatures', 'projects',
  'charity_projects', 'donation_records', 'farm_quiz_questions', 'certificate_counters',
  'settlement_runs', 'settlement_batches', 'settlement_followups', 'public_counters',
  'public_log', 'public_log_nodes', 'public_log_roots', 'planting_groups']) AS t;

-- 7. Per-user tables: hash-distributed by their user and co-located with users.
SELECT create_distributed_table('users', 'id', shard_count => 8);
SELECT create_distributed_table(t, c, colocate_with => 'users') FROM (VALUES
  ('activity_events', 'user_id'), ('balls', 'user_id'), ('idempotency_keys', 'user_id'),
  ('farms', 'user_id'), ('earned_days', 'user_id'), ('earned_quarters', 'user_id'),
  ('earned_totals', 'user_id'), ('farm_feed_grants', 'user_id'), ('farm_feedings', 'user_id'),
  ('farm_quiz_answers', 'user_id'), ('egg_donations', 'user_id'), ('certificates', 'user_id'),
  ('steals', 'owner_user_id'), ('waterings', 'receiver_user_id'),
  ('friendships', 'low_user_id'), ('farm_meals', 'chicken_user_id'),
  ('group_members', 'user_id'), ('group_contributions', 'user_id'),
  ('ledger_accounts', 'owner_id'), ('ledger_entries', 'owner_id')) AS d(t, c);
-- 8. Tables keyed by something else than a user.
SELECT create_distributed_table('user_external_ids', 'external_id', shard_count => 8);
SELECT create_distributed_table('activity_event_ids', 'source_event_id',
                                colocate_with => 'user_external_ids');
SELECT create_distributed_table('ledger_transactions', 'id', colocate_with => 'none');
SELECT create_distributed_table('planting_orders', 'project_id', colocate_with => 'none');

DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT * FROM citus_saved_fks ORDER BY tbl, conname LOOP
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', r.tbl, r.conname, r.def);
  END LOOP;
END $$;
ALTER TABLE steals ADD CONSTRAINT fk_steals_owner_ball
  FOREIGN KEY (owner_user_id, ball_id) REFERENCES balls (user_id, id);
ALTER TABLE waterings ADD CONSTRAINT fk_waterings_receiver_ball
  FOREIGN KEY (receiver_user_id, ball_id) REFERENCES balls (user_id, id);
ALTER TABLE ledger_entries ADD CONSTRAINT fk_ledger_entries_owner_account
  FOREIGN KEY (owner_id, account_id) REFERENCES ledger_accounts (owner_id, id);

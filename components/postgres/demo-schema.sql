-- Demo schema loaded by the dev and pr-<n> stacks and by the integration tests, so the
-- pipeline has something to carry. staging and prod never load it: there the
-- application's migrations own the tables.
--
-- Idempotent: re-running it on an existing database changes nothing.

CREATE SCHEMA IF NOT EXISTS coexist;

-- Written by Debezium's heartbeat.action.query. Being in the publication, it makes the
-- slot advance even when no captured table changes, so an idle source cannot pin WAL.
CREATE TABLE IF NOT EXISTS coexist.heartbeat (
  id integer PRIMARY KEY,
  ts timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.customers (
  customer_id   bigint PRIMARY KEY,
  name          text NOT NULL,
  email         text,
  address_line1 text,
  address_line2 text,
  city          text,
  state         text,
  zip_code      text,
  country       text,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.products (
  product_id bigint PRIMARY KEY,
  sku        text NOT NULL UNIQUE,
  name       text NOT NULL,
  price      numeric(12,2),
  attributes jsonb,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.orders (
  order_id    bigint PRIMARY KEY,
  customer_id bigint,
  status      text NOT NULL DEFAULT 'pending',
  total       numeric(38,18),
  items       jsonb,
  notes       text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz
);

CREATE TABLE IF NOT EXISTS public.outbox (
  id             bigserial PRIMARY KEY,
  aggregate_type text NOT NULL,
  aggregate_id   text NOT NULL,
  event_type     text NOT NULL,
  payload        jsonb NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);

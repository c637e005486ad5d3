-- Webhooks (DESIGN.md "Events, webhooks, audit"): subscriptions per domain, one delivery per
-- (subscription, outbox event) the dispatcher matched, and every attempt of each delivery.
-- A subscription's secret is sealed under the master key (core/secrets.ts); during a rotation's
-- overlap window the previous one signs too.
CREATE TABLE webhook (
  id text PRIMARY KEY,
  domain_id bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
  url text NOT NULL,
  event_pattern text NOT NULL,
  description text,
  enabled boolean NOT NULL DEFAULT true,
  secret_sealed text NOT NULL,
  previous_secret_sealed text,
  previous_secret_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_domain ON webhook (domain_id, created_at);

-- state: pending (due at next_attempt_at; claimed while lease_until is ahead), delivered, failed.
-- event_id is null for test events, whose payload is kept here instead.
CREATE TABLE webhook_delivery (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  webhook_id text NOT NULL REFERENCES webhook (id) ON DELETE CASCADE,
  event_id bigint,
  payload jsonb,
  kind text NOT NULL DEFAULT 'event',
  state text NOT NULL DEFAULT 'pending',
  attempts int NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  CHECK (state IN ('pending', 'delivered', 'failed')),
  CHECK (kind IN ('event', 'replay', 'test'))
);
CREATE INDEX webhook_delivery_pending ON webhook_delivery (webhook_id, id) WHERE state = 'pending';
CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_delivery_list ON webhook_delivery (webhook_id, id DESC);

CREATE TABLE webhook_attempt (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id bigint NOT NULL REFERENCES webhook_delivery (id) ON DELETE CASCADE,
  attempted_at timestamptz NOT NULL DEFAULT now(),
  duration_ms int NOT NULL,
  status_code int,
  error text,
  response_excerpt text
);
CREATE INDEX webhook_attempt_delivery ON webhook_attempt (delivery_id, id);

-- Replay reads a domain's events by time.
CREATE INDEX event_domain_time ON event (domain_id, created_at);

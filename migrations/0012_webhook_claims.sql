-- Webhook deliveries are claimed per subscription rather than per delivery (store/webhooks.ts
-- claimDue): a replica leases the subscription (claimed_until, with a token naming its claim)
-- and sends that subscription's oldest due deliveries in order; nobody else sends to it until the
-- claim is released or runs out. Claiming no longer writes every delivery row, and the question
-- "is something in flight for this subscription" is one column instead of a scan of its backlog.
-- A replica that dies mid-run leaves its deliveries pending, untouched; they are sent again once
-- its claim runs out.
ALTER TABLE webhook ADD COLUMN claimed_until timestamptz, ADD COLUMN claim_token text;
ALTER TABLE webhook_delivery DROP COLUMN lease_until;
-- Claims find a subscription's due deliveries through webhook_delivery_pending; nothing reads
-- deliveries by due time any more, so that index would only cost every insert and update.
DROP INDEX webhook_delivery_due;

-- Written by hand (prisma migrate dev --create-only, then edited): a view over Eventvault's events table.
-- It replays in Prisma's shadow database only because migrations.initShadowDb creates Eventvault's
-- tables there first.
-- security_invoker: the view reads events with the rights of whoever queries it, so Eventvault's
-- row-level security still applies. Without it the view would run as its owner (the migration role,
-- often a superuser) and show every tenant's events to anyone allowed to select from it.
CREATE VIEW "order_events" WITH (security_invoker = true) AS
SELECT e.tenant_id,
       e.position,
       e.recorded_at,
       e.type,
       e.payload ->> 'orderNumber' AS order_number
FROM public.events e
WHERE e.type LIKE 'order.%';

-- The application connects as Eventvault's application role (or a role that is a member of it).
GRANT SELECT ON "order_events" TO eventvault_app;

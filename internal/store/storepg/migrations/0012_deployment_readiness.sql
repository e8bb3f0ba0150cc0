-- The readiness report (internal/readiness, JSON) attached to a deployment
-- to a protected environment: what its approvers review. '' when none.
ALTER TABLE deployments ADD COLUMN readiness text NOT NULL DEFAULT '';

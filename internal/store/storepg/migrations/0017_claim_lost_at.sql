-- When a claim may be marked lost: its lease's end plus its worker's own
-- grace (the TTL it claims with), set at each claim and renewal. The
-- process that marks it lost reads it here rather than assuming its own
-- TTL, which a worker started with another --lease-ttl does not share.
-- NULL on a claim taken before this column: lease_until plus the marking
-- process's TTL then.
ALTER TABLE claims ADD COLUMN lost_at timestamptz;

-- Retired catalog entries stay for the ideas and statistics that name them, but leave the
-- public lists and matching. Writing an entry again (import or admin update) brings it back.
ALTER TABLE networks ADD COLUMN retired_at TIMESTAMPTZ;
ALTER TABLE initiatives ADD COLUMN retired_at TIMESTAMPTZ;
ALTER TABLE beacons ADD COLUMN retired_at TIMESTAMPTZ;

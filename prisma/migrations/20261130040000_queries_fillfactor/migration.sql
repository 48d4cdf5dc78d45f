-- A query row is updated about ten times in its life (claim, plan, a reservation and a charge per
-- call, its ending); six or seven of those change no indexed column and can be HOT updates (no new
-- entry in any of the table's eight indexes) when the row's page has room. Leave room.
ALTER TABLE queries SET (fillfactor = 70);

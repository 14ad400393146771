-- The evidence is a property of the whole configured set (its trial count, the family tested
-- together): every run replaces all of it.
DELETE FROM evidence;

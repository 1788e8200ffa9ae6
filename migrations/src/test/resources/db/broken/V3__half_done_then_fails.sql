-- a migration that creates something and then fails: nothing of it may remain
CREATE TABLE must_not_survive (id INTEGER PRIMARY KEY);
INSERT INTO must_not_survive VALUES (1);
ALTER TABLE user_credits ADD COLUMN must_not_survive_either INTEGER;
SELECT this_is_not_a_function();

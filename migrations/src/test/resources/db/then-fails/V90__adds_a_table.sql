-- applies cleanly: the restore after the next migration fails must undo it too
CREATE TABLE added_then_restored_away (id INTEGER PRIMARY KEY);
INSERT INTO added_then_restored_away VALUES (1);
UPDATE user_credits SET balance = 0;

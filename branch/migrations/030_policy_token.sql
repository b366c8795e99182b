-- policy_token changes (to a fresh random value) whenever a policy table
-- changes by any path: a local command, a remote op by sync, a replay or a
-- rollback (the token is restored with the rows). Commands keep the policy
-- (rules matrix, calendars, categories, libraries) in an in-memory snapshot
-- keyed by the token they read in their own transaction, so a snapshot is
-- never used for a state it was not read from. The table is not state: it
-- is not hashed and not replicated.
CREATE TABLE policy_token (
	id    INTEGER PRIMARY KEY CHECK (id = 0),
	token INTEGER NOT NULL
);
INSERT INTO policy_token (id, token) VALUES (0, random());

CREATE TRIGGER policy_libraries_insert AFTER INSERT ON libraries BEGIN UPDATE policy_token SET token = random() WHERE id = 0; END;
CREATE TRIGGER policy_libraries_update AFTER UPDATE ON libraries BEGIN UPDATE policy_token SET token = random() WHERE id = 0; END;
CREATE TRIGGER policy_libraries_delete AFTER DELETE ON libraries BEGIN UPDATE policy_token SET token = random() WHERE id = 0; END;
CREATE TRIGGER policy_categories_insert AFTER INSERT ON categories BEGIN UPDATE policy_token SET token = random() WHERE id = 0; END;
CREATE TRIGGER policy_categories_update AFTER UPDATE ON categories BEGIN UPDATE policy_token SET token = random() WHERE id = 0; END;
CREATE TRIGGER policy_categories_delete AFTER DELETE ON categories BEGIN UPDATE policy_token SET token = random() WHERE id = 0; END;
CREATE TRIGGER policy_rules_insert AFTER INSERT ON rules BEGIN UPDATE policy_token SET token = random() WHERE id = 0; END;
CREATE TRIGGER policy_rules_update AFTER UPDATE ON rules BEGIN UPDATE policy_token SET token = random() WHERE id = 0; END;
CREATE TRIGGER policy_rules_delete AFTER DELETE ON rules BEGIN UPDATE policy_token SET token = random() WHERE id = 0; END;
CREATE TRIGGER policy_opening_hours_insert AFTER INSERT ON opening_hours BEGIN UPDATE policy_token SET token = random() WHERE id = 0; END;
CREATE TRIGGER policy_opening_hours_update AFTER UPDATE ON opening_hours BEGIN UPDATE policy_token SET token = random() WHERE id = 0; END;
CREATE TRIGGER policy_opening_hours_delete AFTER DELETE ON opening_hours BEGIN UPDATE policy_token SET token = random() WHERE id = 0; END;
CREATE TRIGGER policy_closed_days_insert AFTER INSERT ON closed_days BEGIN UPDATE policy_token SET token = random() WHERE id = 0; END;
CREATE TRIGGER policy_closed_days_update AFTER UPDATE ON closed_days BEGIN UPDATE policy_token SET token = random() WHERE id = 0; END;
CREATE TRIGGER policy_closed_days_delete AFTER DELETE ON closed_days BEGIN UPDATE policy_token SET token = random() WHERE id = 0; END;

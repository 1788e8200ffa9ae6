-- Undoes V13: the dead-letter archive goes; the dead letters themselves stay in their Kafka topics.
DROP TABLE dead_letters;
DROP TABLE dead_letter_replays;

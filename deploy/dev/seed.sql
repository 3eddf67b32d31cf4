INSERT INTO users (id, name, email) VALUES
  (1, 'Ada', 'ada@example.com'),
  (2, 'Grace', 'grace@example.com');
INSERT INTO posts (author_id, title, body) VALUES
  (1, 'Hello', 'First post through libsql-gate'),
  (2, 'Tables', 'Permissions per table and action');
INSERT INTO comments (id, post_id, author_id, body) VALUES
  (1, 1, 2, 'Nice!'),
  (2, 2, 1, 'Agreed');
INSERT INTO secrets (id, owner_id, value) VALUES (1, 1, 'the launch code');

-- When each session began (Unix microseconds): a user's oldest sessions end first when they
-- hold more than the cap.
ALTER TABLE sessions ADD COLUMN created_at INT NOT NULL DEFAULT 0;
CREATE INDEX sessions_user_created ON sessions (user_id, created_at);

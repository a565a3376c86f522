-- The main app's database as the app itself created it (the seed's statements, including its
-- ALTER TABLE constraints), for the test that migrates over an existing production-like schema.
CREATE TABLE users (
  id VARCHAR PRIMARY KEY,
  email VARCHAR UNIQUE NOT NULL,
  password TEXT NOT NULL,
  "first_name" VARCHAR NOT NULL,
  "last_name" VARCHAR NOT NULL,
  "profile_image_url" VARCHAR,
  "is_active" BOOLEAN DEFAULT true,
  "created_at" TIMESTAMP DEFAULT NOW(),
  "updated_at" TIMESTAMP DEFAULT NOW()
);
CREATE TABLE sessions (sid VARCHAR PRIMARY KEY, sess JSONB NOT NULL, expire TIMESTAMP NOT NULL);
CREATE INDEX "IDX_session_expire" ON sessions (expire);
CREATE TABLE projects (
  id SERIAL PRIMARY KEY,
  user_id VARCHAR NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name VARCHAR NOT NULL, description TEXT, type VARCHAR NOT NULL, template VARCHAR, platform VARCHAR,
  target_audience VARCHAR, estimated_duration VARCHAR, tags TEXT[], is_public BOOLEAN DEFAULT false,
  status VARCHAR NOT NULL DEFAULT 'active', metadata JSONB,
  created_at TIMESTAMP DEFAULT NOW(), updated_at TIMESTAMP DEFAULT NOW()
);
CREATE TABLE content (
  id SERIAL PRIMARY KEY,
  user_id VARCHAR NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
  title VARCHAR NOT NULL, description TEXT, script TEXT, platform VARCHAR NOT NULL, content_type VARCHAR NOT NULL,
  status VARCHAR NOT NULL DEFAULT 'draft', scheduled_at TIMESTAMP, published_at TIMESTAMP, thumbnail_url VARCHAR,
  video_url VARCHAR, tags TEXT[], metadata JSONB, ai_generated BOOLEAN DEFAULT false,
  created_at TIMESTAMP DEFAULT NOW(), updated_at TIMESTAMP DEFAULT NOW()
);
CREATE TABLE content_metrics (
  id SERIAL PRIMARY KEY,
  content_id INTEGER NOT NULL REFERENCES content(id) ON DELETE CASCADE,
  platform VARCHAR NOT NULL, views INTEGER DEFAULT 0, likes INTEGER DEFAULT 0, comments INTEGER DEFAULT 0,
  shares INTEGER DEFAULT 0, engagement_rate DECIMAL(5,2), revenue DECIMAL(10,2) DEFAULT '0', last_updated TIMESTAMP DEFAULT NOW()
);
CREATE TABLE ai_generation_tasks (
  id SERIAL PRIMARY KEY,
  user_id VARCHAR NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  task_type VARCHAR NOT NULL, prompt TEXT NOT NULL, result TEXT, status VARCHAR NOT NULL DEFAULT 'pending',
  metadata JSONB, created_at TIMESTAMP DEFAULT NOW(), completed_at TIMESTAMP
);
CREATE TABLE social_posts (
  id SERIAL PRIMARY KEY,
  user_id VARCHAR NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
  title VARCHAR NOT NULL, caption TEXT, hashtags TEXT[], emojis TEXT[], content_type VARCHAR NOT NULL,
  status VARCHAR NOT NULL DEFAULT 'draft', scheduled_at TIMESTAMP, published_at TIMESTAMP, thumbnail_url VARCHAR,
  media_urls TEXT[], ai_generated BOOLEAN DEFAULT false, metadata JSONB,
  created_at TIMESTAMP DEFAULT NOW(), updated_at TIMESTAMP DEFAULT NOW()
);
CREATE TABLE social_accounts (id SERIAL PRIMARY KEY, user_id VARCHAR NOT NULL, platform VARCHAR NOT NULL, handle VARCHAR);
ALTER TABLE social_accounts ADD CONSTRAINT fk_social_accounts_user FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE;
ALTER TABLE content ADD CONSTRAINT fk_content_user FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE;
ALTER TABLE content ADD CONSTRAINT fk_content_project FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE;

INSERT INTO users (id, email, password, first_name, last_name) VALUES
  ('u-1', 'ada@example.com', 'hash-1', 'Ada', 'Lovelace'),
  ('u-2', 'alan@example.com', 'hash-2', 'Alan', 'Turing');
INSERT INTO sessions (sid, sess, expire) VALUES
  ('sid-1', '{"cookie": {}, "passport": {"user": {"claims": {"sub": "u-1"}}}}', NOW() + INTERVAL '1 day');
INSERT INTO projects (user_id, name, type, tags) VALUES ('u-1', 'Launch video', 'video', ARRAY['launch']);
INSERT INTO content (user_id, project_id, title, platform, content_type) VALUES ('u-1', 1, 'Teaser', 'youtube', 'video');
INSERT INTO content_metrics (content_id, platform, views, engagement_rate) VALUES (1, 'youtube', 42, 3.25);
INSERT INTO ai_generation_tasks (user_id, task_type, prompt) VALUES ('u-2', 'script', 'Write an intro');
INSERT INTO social_posts (user_id, project_id, title, content_type, hashtags) VALUES ('u-1', 1, 'Out now', 'reel', ARRAY['#new']);
INSERT INTO social_accounts (user_id, platform, handle) VALUES ('u-2', 'x', '@alan');

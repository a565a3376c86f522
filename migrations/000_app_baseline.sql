-- The main app's own tables, exactly as the seed (recorder-database-map.md) gives them.
-- On the production database they already exist with data: every statement here is
-- IF NOT EXISTS, so there this file changes nothing. On an empty database (development,
-- tests) it creates them, so the recorder's foreign keys have something to point at.

CREATE TABLE IF NOT EXISTS users (
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

-- express-session store (connect-pg-simple, Replit Auth). `sess` holds OAuth tokens: never log it.
CREATE TABLE IF NOT EXISTS sessions (
  sid VARCHAR PRIMARY KEY,
  sess JSONB NOT NULL,
  expire TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS projects (
  id SERIAL PRIMARY KEY,
  user_id VARCHAR NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name VARCHAR NOT NULL,
  description TEXT,
  type VARCHAR NOT NULL, -- video, audio, image, script, campaign
  template VARCHAR,
  platform VARCHAR,
  target_audience VARCHAR,
  estimated_duration VARCHAR,
  tags TEXT[],
  is_public BOOLEAN DEFAULT false,
  status VARCHAR NOT NULL DEFAULT 'active',
  metadata JSONB,
  created_at TIMESTAMP DEFAULT NOW(),
  updated_at TIMESTAMP DEFAULT NOW()
);

-- The seed also lists `ALTER TABLE content ADD CONSTRAINT fk_content_user / fk_content_project`;
-- the inline REFERENCES below already are those foreign keys, so they are not added twice.
CREATE TABLE IF NOT EXISTS content (
  id SERIAL PRIMARY KEY,
  user_id VARCHAR NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
  title VARCHAR NOT NULL,
  description TEXT,
  script TEXT,
  platform VARCHAR NOT NULL,
  content_type VARCHAR NOT NULL, -- video, image, text, reel, short
  status VARCHAR NOT NULL DEFAULT 'draft',
  scheduled_at TIMESTAMP,
  published_at TIMESTAMP,
  thumbnail_url VARCHAR,
  video_url VARCHAR,
  tags TEXT[],
  metadata JSONB,
  ai_generated BOOLEAN DEFAULT false,
  created_at TIMESTAMP DEFAULT NOW(),
  updated_at TIMESTAMP DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS content_metrics (
  id SERIAL PRIMARY KEY,
  content_id INTEGER NOT NULL REFERENCES content(id) ON DELETE CASCADE,
  platform VARCHAR NOT NULL,
  views INTEGER DEFAULT 0,
  likes INTEGER DEFAULT 0,
  comments INTEGER DEFAULT 0,
  shares INTEGER DEFAULT 0,
  engagement_rate DECIMAL(5,2),
  revenue DECIMAL(10,2) DEFAULT '0',
  last_updated TIMESTAMP DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS ai_generation_tasks (
  id SERIAL PRIMARY KEY,
  user_id VARCHAR NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  task_type VARCHAR NOT NULL, -- script, voiceover, video, thumbnail
  prompt TEXT NOT NULL,
  result TEXT,
  status VARCHAR NOT NULL DEFAULT 'pending',
  metadata JSONB,
  created_at TIMESTAMP DEFAULT NOW(),
  completed_at TIMESTAMP
);

CREATE TABLE IF NOT EXISTS social_posts (
  id SERIAL PRIMARY KEY,
  user_id VARCHAR NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
  title VARCHAR NOT NULL,
  caption TEXT,
  hashtags TEXT[],
  emojis TEXT[],
  content_type VARCHAR NOT NULL, -- post, reel, short, story, video
  status VARCHAR NOT NULL DEFAULT 'draft',
  scheduled_at TIMESTAMP,
  published_at TIMESTAMP,
  thumbnail_url VARCHAR,
  media_urls TEXT[],
  ai_generated BOOLEAN DEFAULT false,
  metadata JSONB,
  created_at TIMESTAMP DEFAULT NOW(),
  updated_at TIMESTAMP DEFAULT NOW()
);

-- The seed names this table only through its constraint fk_social_accounts_user; the columns
-- are the least that constraint and the app's account linking need. The recorder never reads it.
CREATE TABLE IF NOT EXISTS social_accounts (
  id SERIAL PRIMARY KEY,
  user_id VARCHAR NOT NULL,
  platform VARCHAR NOT NULL,
  account_name VARCHAR,
  is_active BOOLEAN DEFAULT true,
  created_at TIMESTAMP DEFAULT NOW(),
  updated_at TIMESTAMP DEFAULT NOW(),
  CONSTRAINT fk_social_accounts_user FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
);

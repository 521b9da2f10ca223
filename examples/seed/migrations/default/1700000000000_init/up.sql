-- The tutorial's table: a uuid id and a text name; password_hash is what the login action checks.
CREATE TABLE IF NOT EXISTS "user" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  password_hash text
);

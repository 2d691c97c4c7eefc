-- orders_db: the orders service's schema (applied by pgdrill as the database owner, in one transaction).
CREATE TABLE orders (
  id          uuid PRIMARY KEY,
  amount      numeric(10, 2) NOT NULL CHECK (amount > 0),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_created_at_idx ON orders (created_at);

-- A migration with a bug: the column is called total_cents, not amount.
CREATE INDEX orders_amount ON orders (amount);

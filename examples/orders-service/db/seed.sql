-- A few existing orders, so reads have something to read from the start.
INSERT INTO orders (id, amount)
SELECT md5('order-' || n)::uuid, n * 1.5
FROM generate_series(1, 50) AS n;

-- Up Migration
CREATE MATERIALIZED VIEW spend AS
  SELECT customer, count(*) AS orders, sum(amount) AS total FROM orders GROUP BY customer;
COMMENT ON MATERIALIZED VIEW spend IS 'revenue per customer';

-- Down Migration
DROP MATERIALIZED VIEW spend;

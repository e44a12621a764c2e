// A table, an index and seed rows, written with node-pg-migrate's builder.
// down is derived from up (createTable and createIndex are reversible);
// the seed rows go with the table.
exports.up = (pgm) => {
  pgm.createTable("orders", {
    id: { type: "bigint", primaryKey: true },
    customer: { type: "text", notNull: true },
    amount: { type: "numeric(10,2)" },
    placed: { type: "timestamptz", notNull: true, default: pgm.func("now()") },
  });
  pgm.createIndex("orders", "customer");
  pgm.sql("INSERT INTO orders (id, customer, amount) VALUES (1, 'ann', 30.00), (2, 'bob', 12.50), (3, 'ann', 7.25)");
};

exports.down = (pgm) => {
  pgm.dropIndex("orders", "customer");
  pgm.dropTable("orders");
};

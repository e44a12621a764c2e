// A migration that creates a table, a view over it and (streamdb only) a
// sink, then fails: run in a transaction, it must leave nothing behind.
const broker = process.env.KAFKA_BROKER;

exports.up = (pgm) => {
  pgm.createTable("extra", { id: { type: "bigint", primaryKey: true }, n: "bigint" });
  pgm.createMaterializedView("extra_v", {}, "SELECT count(*) AS c, sum(n) AS n FROM extra");
  if (broker) {
    pgm.sql(`CREATE SINK extra_out FROM extra_v
      WITH (connector = 'kafka', topic = 'extra_out', properties.bootstrap.server = '${broker}', primary_key = 'c')
      FORMAT UPSERT ENCODE JSON`);
  }
  pgm.sql("SELECT 1/0");
};

exports.down = false;

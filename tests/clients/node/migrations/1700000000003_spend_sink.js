// A Kafka sink from the view (streamdb only: the test sets KAFKA_BROKER
// when it runs against streamdb; against PostgreSQL this migration is
// recorded but does nothing).
const broker = process.env.KAFKA_BROKER;

exports.up = (pgm) => {
  if (!broker) {
    return;
  }
  pgm.sql(`CREATE SINK spend_out FROM spend
    WITH (connector = 'kafka', topic = 'spend_out', properties.bootstrap.server = '${broker}', primary_key = 'customer')
    FORMAT UPSERT ENCODE JSON`);
};

exports.down = (pgm) => {
  if (!broker) {
    return;
  }
  pgm.sql("DROP SINK spend_out");
};

import java.sql.*;
import java.util.*;

// JdbcCheck drives pgJDBC against a streamdb server and prints what the
// driver reports, one fact per line, for the Go test to compare.
public class JdbcCheck {
    static void print(ResultSet rs, String... cols) throws SQLException {
        while (rs.next()) {
            StringBuilder sb = new StringBuilder();
            for (String c : cols) {
                if (sb.length() > 0) sb.append('|');
                sb.append(rs.getString(c));
            }
            System.out.println(sb);
        }
        rs.close();
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        try (Connection c = DriverManager.getConnection(url, "streamdb", "")) {
            DatabaseMetaData md = c.getMetaData();
            System.out.println("product " + md.getDatabaseProductName() + " " + md.getDatabaseMajorVersion());
            System.out.println("-- schemas");
            print(md.getSchemas(), "TABLE_SCHEM");
            System.out.println("-- tables");
            print(md.getTables(null, "public", "%", new String[]{"TABLE", "VIEW"}), "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE");
            System.out.println("-- columns");
            print(md.getColumns(null, "public", "orders", "%"), "COLUMN_NAME", "TYPE_NAME", "COLUMN_SIZE", "IS_NULLABLE", "ORDINAL_POSITION");
            System.out.println("-- primary keys");
            print(md.getPrimaryKeys(null, "public", "orders"), "TABLE_NAME", "COLUMN_NAME", "KEY_SEQ", "PK_NAME");
            System.out.println("-- index info");
            print(md.getIndexInfo(null, "public", "orders", false, false), "TABLE_NAME", "NON_UNIQUE", "INDEX_NAME", "ORDINAL_POSITION", "COLUMN_NAME");
            System.out.println("-- unique index info");
            print(md.getIndexInfo(null, "public", "orders", true, false), "INDEX_NAME", "COLUMN_NAME");
            System.out.println("-- imported keys");
            print(md.getImportedKeys(null, "public", "orders"), "PKTABLE_NAME", "FKCOLUMN_NAME");
            System.out.println("-- end imported keys");
            System.out.println("-- type info");
            try (ResultSet rs = md.getTypeInfo()) {
                Map<String, String> want = new TreeMap<>();
                while (rs.next()) {
                    String name = rs.getString("TYPE_NAME");
                    if (Set.of("int4", "int8", "text", "varchar", "numeric", "bool", "timestamptz", "jsonb", "bytea").contains(name)) {
                        want.put(name, rs.getInt("DATA_TYPE") + "|" + rs.getInt("NULLABLE") + "|" + rs.getBoolean("CASE_SENSITIVE") + "|" + rs.getInt("SEARCHABLE"));
                    }
                }
                for (Map.Entry<String, String> e : want.entrySet()) System.out.println("type " + e.getKey() + "|" + e.getValue());
            }
            System.out.println("-- functions");
            print(md.getFunctions(null, "pg_catalog", "upper"), "FUNCTION_SCHEM", "FUNCTION_NAME", "FUNCTION_TYPE");
            print(md.getFunctionColumns(null, "pg_catalog", "upper", "%"), "FUNCTION_NAME", "COLUMN_TYPE", "TYPE_NAME");
            System.out.println("-- server prepare");
            try (PreparedStatement ps = c.prepareStatement("SELECT id, customer FROM orders WHERE id = ?")) {
                org.postgresql.PGStatement pgs = ps.unwrap(org.postgresql.PGStatement.class);
                StringBuilder seen = new StringBuilder();
                for (int i = 1; i <= 7; i++) {
                    ps.setLong(1, 1);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        if (!"ann".equals(rs.getString(2)) || rs.getLong(1) != 1) throw new AssertionError("execution " + i + " read " + rs.getString(2));
                    }
                    seen.append(pgs.isUseServerPrepare() ? 'S' : 'u');
                }
                System.out.println("executions " + seen);
            }
            System.out.println("-- prepared");
            try (PreparedStatement ps = c.prepareStatement("SELECT amount FROM orders WHERE id = ?")) {
                long sum = 0;
                for (int i = 0; i < 10; i++) {
                    ps.setLong(1, (i % 3) + 1);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) sum += rs.getBigDecimal(1).longValue();
                    }
                }
                System.out.println("sum " + sum);
            }
            System.out.println("-- fetch size");
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.setFetchSize(7);
                int n = 0;
                try (ResultSet rs = st.executeQuery("SELECT g FROM generate_series(1, 100) g")) {
                    while (rs.next()) n++;
                }
                System.out.println("rows " + n);
            }
            c.commit();
            c.setAutoCommit(true);
            System.out.println("-- insert batch");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO orders (id, customer, amount) VALUES (?, ?, ?)")) {
                for (int i = 10; i < 15; i++) {
                    ps.setLong(1, i);
                    ps.setString(2, "c" + i);
                    ps.setBigDecimal(3, new java.math.BigDecimal("1.50"));
                    ps.addBatch();
                }
                System.out.println("batch " + Arrays.stream(ps.executeBatch()).sum());
            }
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*), sum(amount) FROM orders")) {
                rs.next();
                System.out.println("count " + rs.getLong(1) + " sum " + rs.getBigDecimal(2));
            }
            System.out.println("-- batch statements");
            try (Statement st = c.createStatement()) {
                st.addBatch("INSERT INTO orders (id, customer, amount) VALUES (20, 'x', 1)");
                st.addBatch("UPDATE orders SET amount = 2 WHERE id = 20");
                st.addBatch("DELETE FROM orders WHERE id = 999");
                System.out.println("updates " + Arrays.toString(st.executeBatch()));
            }
        }
        // prepareThreshold=-1 makes pgJDBC server-prepare at once and ask
        // for binary results of every type it can decode in binary.
        try (Connection c = DriverManager.getConnection(url + "&prepareThreshold=-1&binaryTransfer=true", "streamdb", "")) {
            System.out.println("-- binary");
            String q = "SELECT ?::int4, ?::int8, ?::float8, ?::bool, ?::date, ?::timestamptz, ?::bytea, ?::numeric, ?::text";
            try (PreparedStatement ps = c.prepareStatement(q)) {
                for (int round = 0; round < 3; round++) {
                    ps.setInt(1, -7);
                    ps.setLong(2, 1L << 40);
                    ps.setDouble(3, 2.5);
                    ps.setBoolean(4, true);
                    ps.setDate(5, java.sql.Date.valueOf("2024-02-29"));
                    ps.setTimestamp(6, java.sql.Timestamp.from(java.time.Instant.parse("2024-02-29T12:34:56.789Z")));
                    ps.setBytes(7, new byte[]{1, 2, (byte) 0xff});
                    ps.setBigDecimal(8, new java.math.BigDecimal("-12345.678"));
                    ps.setString(9, "héllo");
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        String line = rs.getInt(1) + "|" + rs.getLong(2) + "|" + rs.getDouble(3) + "|" + rs.getBoolean(4) + "|" + rs.getDate(5)
                            + "|" + rs.getTimestamp(6).toInstant() + "|" + Arrays.toString(rs.getBytes(7)) + "|" + rs.getBigDecimal(8)
                            + "|" + rs.getString(9);
                        if (round == 2) System.out.println("binary " + line);
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT id, customer, amount FROM orders WHERE id < ? ORDER BY id")) {
                ps.setLong(1, 4);
                StringBuilder sb = new StringBuilder();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) sb.append(rs.getLong(1)).append(':').append(rs.getString(2)).append(':').append(rs.getBigDecimal(3)).append(' ');
                }
                System.out.println("binary rows " + sb.toString().trim());
            }
        }
    }
}

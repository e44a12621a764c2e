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
        }
    }
}

package pgwire

// simpleQuery runs a Query message: every statement's results, then one
// ReadyForQuery.
func (c *conn) simpleQuery(sql string) {
	// Like Postgres, a simple query discards the unnamed prepared statement.
	if ps, ok := c.stmts[""]; ok {
		delete(c.stmts, "")
		ps.release()
	}
	ctx, done := c.beginQuery()
	c.rw.resetSimple()
	err := c.session.SimpleQuery(ctx, sql, &c.rw)
	done()
	if err != nil {
		c.sendError(err)
	}
	c.dropPortalsIfIdle()
	c.readyForQuery()
}

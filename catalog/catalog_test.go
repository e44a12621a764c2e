package catalog

import (
	"testing"

	"github.com/streamdb/streamdb/sql/types"
	"github.com/streamdb/streamdb/state"
)

func openTestCatalog(t *testing.T, dir string) (*Catalog, func()) {
	t.Helper()
	ts, err := state.OpenTableStore(dir, state.Options{BlockCacheSize: 8 << 20, MemtableSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(ts)
	if err != nil {
		t.Fatal(err)
	}
	return c, func() {
		if err := ts.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func testTable(schema, name string) *Descriptor {
	return &Descriptor{
		Kind:      KindTable,
		Namespace: schema,
		Name:      name,
		Columns: []Column{
			{Name: "id", TypeOid: 20, NotNull: true},
			{Name: "v", TypeOid: 25},
		},
		PrimaryKey: []int{0},
		Checks:     []Check{{Name: name + "_v_check", Expr: "v <> ''"}},
		Owner:      SuperuserName,
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if types.Code(err) != code {
		t.Fatalf("got error %v (code %s), want code %s", err, types.Code(err), code)
	}
}

func TestBootstrap(t *testing.T) {
	c, done := openTestCatalog(t, t.TempDir())
	defer done()
	var names []string
	for _, s := range c.Schemas() {
		names = append(names, s.Name)
	}
	if got := len(names); got != 4 || names[0] != "pg_catalog" || names[1] != "public" {
		t.Fatalf("schemas %v", names)
	}
	r, ok := c.RoleByName(SuperuserName)
	if !ok || !r.Superuser || !r.Login || r.OID != BootstrapSuperuserOID {
		t.Fatalf("superuser %+v %v", r, ok)
	}
	wantCode(t, c.DropRole(SuperuserName), types.CodeDependentObjectsStillExist)
	_, err := c.DropSchema("pg_catalog", true)
	wantCode(t, err, types.CodeDependentObjectsStillExist)
}

func TestCreateAlterDropReopen(t *testing.T) {
	dir := t.TempDir()
	c, done := openTestCatalog(t, dir)

	v0 := c.Version()
	d := testTable("public", "t")
	if err := c.Create(d); err != nil {
		t.Fatal(err)
	}
	if d.OID < FirstUserOID || d.PKOID == 0 || d.Checks[0].OID == 0 || d.Columns[1].AttNum != 2 {
		t.Fatalf("OIDs not assigned: %+v", d)
	}
	if c.Version() <= v0 {
		t.Fatal("version not bumped")
	}
	// Name collisions: relation, primary key index, across kinds.
	wantCode(t, c.Create(testTable("public", "t")), types.CodeDuplicateTable)
	wantCode(t, c.Create(&Descriptor{Kind: KindSequence, Namespace: "public", Name: "t_pkey"}), types.CodeDuplicateTable)
	wantCode(t, c.Create(testTable("nosuch", "t")), types.CodeUndefinedSchema)
	// The same name in another schema is fine.
	if _, err := c.CreateSchema("s1", SuperuserName); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateSchema("s1", SuperuserName)
	wantCode(t, err, types.CodeDuplicateSchema)
	other := testTable("s1", "t")
	if err := c.Create(other); err != nil {
		t.Fatal(err)
	}

	// ALTER: add a column and an index, rename.
	upd, _ := c.ByOID(d.OID)
	upd = upd.Clone()
	upd.Columns = append(upd.Columns, Column{Name: "w", TypeOid: 23})
	upd.Indexes = append(upd.Indexes, Index{Name: "t_v_idx", Columns: []int{1}})
	upd.Name = "t2"
	if err := c.Update(upd); err != nil {
		t.Fatal(err)
	}
	if upd.Indexes[0].OID == 0 {
		t.Fatal("index OID not assigned")
	}
	if _, ok := c.LookupRelation("public", "t"); ok {
		t.Fatal("old name still resolves")
	}
	if td, ix, ok := c.LookupIndex("public", "t_v_idx"); !ok || td.OID != d.OID || ix.OID != upd.Indexes[0].OID {
		t.Fatalf("lookup index: %v %v %v", td, ix, ok)
	}
	if _, ix, ok := c.LookupIndex("public", "t_pkey"); !ok || !ix.Primary || ix.OID != d.PKOID {
		t.Fatalf("lookup pkey index: %v %v", ix, ok)
	}
	// An index name collides with relations.
	wantCode(t, c.Create(&Descriptor{Kind: KindView, Namespace: "public", Name: "t_v_idx", Query: "select 1"}), types.CodeDuplicateTable)
	shared, _ := c.ByOID(d.OID)
	if err := c.Update(shared); err == nil {
		t.Fatal("Update accepted the shared descriptor")
	}

	// Resolution.
	got, err := c.ResolveRelation("t2", "", []string{"s1", "public"})
	if err != nil || got.OID != d.OID {
		t.Fatalf("resolve t2: %v %v", got, err)
	}
	got, err = c.ResolveRelation("t", "", []string{"s1", "public"})
	if err != nil || got.OID != other.OID {
		t.Fatalf("resolve t: %v %v", got, err)
	}
	_, err = c.ResolveRelation("t", "", []string{"public"})
	wantCode(t, err, types.CodeUndefinedTable)
	if err.Error() != `relation "t" does not exist` {
		t.Fatalf("message %q", err)
	}
	_, err = c.ResolveRelation("t", "nosuch", nil)
	wantCode(t, err, types.CodeUndefinedSchema)

	// Schema drop restrict / cascade.
	_, err = c.DropSchema("s1", false)
	wantCode(t, err, types.CodeDependentObjectsStillExist)

	// Comments.
	if err := c.SetComment(d.OID, 0, "the table"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetComment(d.OID, 2, "the v column"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, c.SetComment(d.OID, 9, "x"), types.CodeUndefinedColumn)

	// Roles.
	r, err := c.CreateRole(Role{Name: "alice", Login: true, PasswordVerifier: "SCRAM-SHA-256$x"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateRole(Role{Name: "alice"})
	wantCode(t, err, types.CodeDuplicateObject)
	r.Name, r.Superuser = "bob", true
	if err := c.AlterRole(r); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateRole(Role{Name: "carol"}); err != nil {
		t.Fatal(err)
	}
	if err := c.DropRole("carol"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, c.DropRole("carol"), types.CodeUndefinedObject)

	oid, err := c.AllocOID()
	if err != nil {
		t.Fatal(err)
	}
	version := c.Version()
	done()

	// Everything survives a restart.
	c, done = openTestCatalog(t, dir)
	defer done()
	if c.Version() != version {
		t.Fatalf("version %d after reopen, want %d", c.Version(), version)
	}
	got, ok := c.LookupRelation("public", "t2")
	if !ok || len(got.Columns) != 3 || got.Indexes[0].Name != "t_v_idx" || got.Comment != "the table" || got.Columns[1].Comment != "the v column" {
		t.Fatalf("after reopen: %+v", got)
	}
	if text, ok := c.GetComment(d.OID, 2); !ok || text != "the v column" {
		t.Fatalf("comment %q %v", text, ok)
	}
	if _, ok := c.SchemaByName("s1"); !ok {
		t.Fatal("schema s1 lost")
	}
	if r, ok := c.RoleByName("bob"); !ok || !r.Superuser || r.PasswordVerifier != "SCRAM-SHA-256$x" {
		t.Fatalf("role bob %+v", r)
	}
	if _, ok := c.RoleByName("alice"); ok {
		t.Fatal("renamed role alice still there")
	}
	if next, _ := c.AllocOID(); next <= oid {
		t.Fatalf("OID %d reused (last %d)", next, oid)
	}
	if rels := c.Relations(); len(rels) != 2 || rels[0].OID > rels[1].OID {
		t.Fatalf("relations %v", rels)
	}

	dropped, err := c.DropSchema("s1", true)
	if err != nil || len(dropped) != 1 || dropped[0].OID != other.OID {
		t.Fatalf("drop cascade: %v %v", dropped, err)
	}
	if err := c.Drop(d.OID); err != nil {
		t.Fatal(err)
	}
	if len(c.Relations()) != 0 || len(c.Comments()) != 0 {
		t.Fatalf("left after drop: %v %v", c.Relations(), c.Comments())
	}
	wantCode(t, c.Drop(d.OID), types.CodeUndefinedTable)
	// The name is free again.
	if err := c.Create(testTable("public", "t2")); err != nil {
		t.Fatal(err)
	}
}

func TestResolvePgCatalogFirst(t *testing.T) {
	c, done := openTestCatalog(t, t.TempDir())
	defer done()
	sys := &Descriptor{Kind: KindView, Namespace: "pg_catalog", Name: "pg_class"}
	user := &Descriptor{Kind: KindTable, Namespace: "public", Name: "pg_class"}
	if err := c.Create(sys); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(user); err != nil {
		t.Fatal(err)
	}
	if d, _ := c.ResolveRelation("pg_class", "", []string{"public"}); d.OID != sys.OID {
		t.Fatal("pg_catalog not searched first")
	}
	if d, _ := c.ResolveRelation("pg_class", "", []string{"public", "pg_catalog"}); d.OID != user.OID {
		t.Fatal("explicit pg_catalog position ignored")
	}
}

func TestDropRemovesStoredState(t *testing.T) {
	dir := t.TempDir()
	ts, err := state.OpenTableStore(dir, state.Options{BlockCacheSize: 8 << 20, MemtableSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	c, err := Open(ts)
	if err != nil {
		t.Fatal(err)
	}
	tbl := testTable("public", "t")
	if err := c.Create(tbl); err != nil {
		t.Fatal(err)
	}
	seqOID, err := c.AllocOID()
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.CreateSequence(seqOID, state.DefaultSequenceOptions("public.t_id_seq", 1, -1<<63, 1<<63-1)); err != nil {
		t.Fatal(err)
	}
	seq := &Descriptor{OID: seqOID, Kind: KindSequence, Namespace: "public", Name: "t_id_seq", OwnedBy: tbl.OID, OwnedByCol: 1}
	if err := c.Create(seq); err != nil {
		t.Fatal(err)
	}
	if v, err := ts.NextVal(seqOID); err != nil || v != 1 {
		t.Fatalf("nextval %d %v", v, err)
	}
	if owned := c.OwnedSequences(tbl.OID); len(owned) != 1 || owned[0].OID != seqOID {
		t.Fatalf("owned sequences %v", owned)
	}
	if _, err := ts.NextRowID(tbl.OID); err != nil {
		t.Fatal(err)
	}
	if err := c.Drop(tbl.OID, seqOID); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.NextVal(seqOID); types.Code(err) != types.CodeUndefinedObject {
		t.Fatalf("nextval after drop: %v", err)
	}
	if id, _ := ts.NextRowID(tbl.OID); id != 1 {
		t.Fatalf("row id counter of dropped table survived: %d", id)
	}
}

func TestSchemaAndRoleRenames(t *testing.T) {
	dir := t.TempDir()
	c, done := openTestCatalog(t, dir)
	if _, err := c.CreateRole(Role{Name: "alice", Login: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateSchema("s", "alice"); err != nil {
		t.Fatal(err)
	}
	d := testTable("s", "t")
	d.Owner = "alice"
	if err := c.Create(d); err != nil {
		t.Fatal(err)
	}
	wantCode(t, c.DropRole("alice"), types.CodeDependentObjectsStillExist)
	s, _ := c.SchemaByName("s")
	s.Name = "s2"
	if err := c.AlterSchema("s", s); err != nil {
		t.Fatal(err)
	}
	wantCode(t, c.AlterSchema("s2", Schema{Name: "public"}), types.CodeDuplicateSchema)
	alice, _ := c.RoleByName("alice")
	alice.Name = "al"
	if err := c.AlterRole(alice); err != nil {
		t.Fatal(err)
	}
	// public may be dropped and stays dropped after a restart.
	if _, err := c.DropSchema("public", false); err != nil {
		t.Fatal(err)
	}
	done()

	c, done = openTestCatalog(t, dir)
	defer done()
	if _, ok := c.SchemaByName("public"); ok {
		t.Fatal("dropped schema public recreated")
	}
	got, err := c.ResolveRelation("t", "s2", nil)
	if err != nil || got.OID != d.OID || got.Owner != "al" {
		t.Fatalf("after renames: %+v %v", got, err)
	}
	if s, _ := c.SchemaByName("s2"); s.Owner != "al" {
		t.Fatalf("schema owner %q", s.Owner)
	}
}

package catalog

import "maps"

// Clone returns a deep copy of d, for callers that change a descriptor and
// pass it to Update: descriptors returned by the Catalog are shared and
// must not be modified.
func (d *Descriptor) Clone() *Descriptor {
	c := *d
	c.Columns = append([]Column(nil), d.Columns...)
	c.PrimaryKey = append([]int(nil), d.PrimaryKey...)
	c.Checks = append([]Check(nil), d.Checks...)
	c.Indexes = make([]Index, len(d.Indexes))
	for i, ix := range d.Indexes {
		ix.Columns = append([]int(nil), ix.Columns...)
		c.Indexes[i] = ix
	}
	if d.Indexes == nil {
		c.Indexes = nil
	}
	c.DependsOn = append([]uint32(nil), d.DependsOn...)
	c.Options = maps.Clone(d.Options)
	return &c
}

// PKIndexName is the name of the primary key's index: PKName, or
// <table>_pkey as Postgres names it.
func (d *Descriptor) PKIndexName() string {
	if d.PKName != "" {
		return d.PKName
	}
	return d.Name + "_pkey"
}

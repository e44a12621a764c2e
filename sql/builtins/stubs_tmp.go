package builtins

import "strconv"

func registerJSONFuncs(b *registryBuilder)     {}
func registerSysFuncs(b *registryBuilder)      {}
func registerSRFs(b *registryBuilder)          {}
func itoa(v int64) string                      { return strconv.FormatInt(v, 10) }

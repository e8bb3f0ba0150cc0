package storepg

// Bytewise orders text by its bytes whatever the database's locale.
func (dialect) Bytewise() string { return ` COLLATE "C"` }

package storepg

// Bytewise is the COLLATE clause that orders text by its bytes, as Go and
// SQLite do, whatever the database's locale (sqlstore asks for it where an
// order is part of what a method returns: a revision's files by path).
func (dialect) Bytewise() string { return ` COLLATE "C"` }

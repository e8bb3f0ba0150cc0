package process

import "sync"

// copyBufs lends the buffer an attempt's output is copied through from
// its pipe, to an attempt that writes any: 32 KiB each would be garbage
// a chain of short tasks pays for in collection.
var copyBufs = sync.Pool{New: func() any {
	b := make([]byte, 32<<10)
	return &b
}}

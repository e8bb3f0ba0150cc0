package spec

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest pipeline file or gantry.yaml Gantry reads.
// Every decoder refuses more (ParsePipeline and ParseProject, so bytes
// from a deploy bundle too), and ReadFile stops reading past it.
const MaxFileSize = 1 << 20

// Aliases may reach minAliasNodes nodes in all, or aliasFactor times the
// document's own node count when that is more, but never more than
// maxAliasNodes. Anchors for shared env, retries or defaults stay far
// below; a billion-laughs document, whose nodes are mostly reached again
// and again through aliases, runs out at once. At the cap aliases cost
// about 90 MiB of allocations, less than a 1 MiB file without any does
// (about 260 MiB, most of it short-lived).
const (
	minAliasNodes = 50_000
	aliasFactor   = 10
	maxAliasNodes = 200_000
)

// ReadFile reads a pipeline file or gantry.yaml, refusing one larger than
// MaxFileSize with an Errors naming the file and its size before reading
// it. Other errors are those of os.Open and Read, unwrapped, so that
// errors.Is(err, fs.ErrNotExist) works.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size() > MaxFileSize {
		return nil, Errors{sizeError(path, info.Size(), true)}
	}
	// Size() is 0 or stale for pipes, /proc files and files still being
	// written: the limited read holds whatever the stat said.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, Errors{sizeError(path, 0, false)}
	}
	return data, nil
}

// sizeError says that file is over MaxFileSize; sizeKnown is false when
// it is only known to be more than what was read.
func sizeError(file string, size int64, sizeKnown bool) Error {
	what := "pipeline files"
	if filepath.Base(file) == ProjectFile {
		what = ProjectFile
	}
	if !sizeKnown {
		return Error{File: file, Msg: fmt.Sprintf("file is larger than the %d MiB limit for %s", MaxFileSize>>20, what)}
	}
	n := fmt.Sprintf("%.1f MiB", float64(size)/(1<<20))
	if size < MaxFileSize+MaxFileSize/20 {
		n = fmt.Sprintf("%d bytes", size) // not "1.0 MiB, over the 1 MiB limit"
	}
	return Error{File: file, Msg: fmt.Sprintf("file is %s, over the %d MiB limit for %s", n, MaxFileSize>>20, what)}
}

// aliasBudget bounds the work a decoder does through aliases: each alias
// it follows costs the node count of the subtree it names, whose own
// aliases are paid for when followed in turn. Without it a few hundred
// bytes of nested aliases (billion laughs) make the decoder walk billions
// of nodes.
type aliasBudget struct {
	docNodes int
	limit    int
	spent    int
	sizes    map[*yaml.Node]int // subtree sizes, aliases counted as one node
	over     *yaml.Node         // the alias at which the budget ran out
}

func newAliasBudget(doc *yaml.Node) *aliasBudget {
	b := &aliasBudget{sizes: map[*yaml.Node]int{}}
	b.docNodes = b.size(doc)
	b.limit = min(max(minAliasNodes, aliasFactor*b.docNodes), maxAliasNodes)
	return b
}

// size counts the nodes of n's subtree without following aliases.
func (b *aliasBudget) size(n *yaml.Node) int {
	if s, ok := b.sizes[n]; ok {
		return s
	}
	s := 1
	for _, c := range n.Content {
		s += b.size(c)
	}
	if n.Anchor != "" || n.Kind == yaml.DocumentNode {
		b.sizes[n] = s // only anchored subtrees are asked for again
	}
	return s
}

// spend pays for following alias, reporting false once the budget is gone.
func (b *aliasBudget) spend(alias *yaml.Node) bool {
	if b.over != nil {
		return false
	}
	b.spent += b.size(alias.Alias)
	if b.spent > b.limit {
		b.over = alias
		return false
	}
	return true
}

// err is the error to report when the budget ran out.
func (b *aliasBudget) err(file string) Error {
	return Error{File: file, Line: b.over.Line, Col: b.over.Column, Msg: fmt.Sprintf(
		"alias expansion over budget (*%s takes it past %d nodes reached through aliases, for a document of %d): YAML aliases may not multiply the document",
		clip(b.over.Value), b.limit, b.docNodes)}
}

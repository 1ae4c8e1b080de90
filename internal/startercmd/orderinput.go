package startercmd

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cardflow/cardflow/internal/limits"
)

// orderList reads a batch order's list from a comma-separated flag or a
// file (one entry per line; blank lines and # comments ignored), drops
// duplicates (keeping the first), and checks each entry and the list's
// length. dropped names the duplicates, for a line on stderr.
func orderList(flag, value, fileFlag, file string) (ids, dropped []string, err error) {
	var raw []string
	var where []string
	switch {
	case value != "" && file != "":
		return nil, nil, &usageError{fmt.Sprintf("give %s or %s, not both", flag, fileFlag)}
	case value != "":
		for i, s := range strings.Split(value, ",") {
			raw, where = append(raw, strings.TrimSpace(s)), append(where, fmt.Sprintf("%s entry %d", flag, i+1))
		}
	case file != "":
		if raw, where, err = readListFile(fileFlag, file); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, &usageError{fmt.Sprintf("give %s a,b,... or %s FILE (one per line, # comments)", flag, fileFlag)}
	}
	seen := make(map[string]bool, len(raw))
	for i, id := range raw {
		if id == "" && file == "" {
			continue // "a,,b" or a trailing comma
		}
		if err := limits.Identifier(where[i], id); err != nil {
			return nil, nil, &usageError{err.Error()}
		}
		if seen[id] {
			dropped = append(dropped, id)
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	if err := limits.OrderList(strings.TrimPrefix(flag, "--"), len(ids)); err != nil {
		return nil, nil, &usageError{err.Error()}
	}
	return ids, dropped, nil
}

// readListFile reads one entry per line, without blank lines and comments.
func readListFile(fileFlag, path string) (entries, where []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, &usageError{fmt.Sprintf("%s: %v", fileFlag, err)}
	}
	defer f.Close()
	return parseList(fileFlag+" "+path, f)
}

func parseList(name string, r io.Reader) (entries, where []string, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		entries, where = append(entries, line), append(where, fmt.Sprintf("%s line %d", name, n))
	}
	if err := sc.Err(); err != nil {
		return nil, nil, &usageError{fmt.Sprintf("%s: %v", name, err)}
	}
	return entries, where, nil
}

package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cardflow/cardflow/internal/mailpit"
)

// startMailpit runs the SMTP server the cardflow worker mails through when
// -mail is on: a real one, so that the e-mails cost what they cost (message
// rendering, an SMTP session per batch), on free ports, keeping every
// message so that the count means something, in a temporary directory that
// the returned stop removes.
func startMailpit(ctx context.Context, bin string) (*mailpit.Server, func(), error) {
	dir, err := os.MkdirTemp("", "cardflow-bench-mailpit-")
	if err != nil {
		return nil, nil, err
	}
	s, err := mailpit.Start(ctx, mailpit.Options{Bin: bin, DBPath: filepath.Join(dir, "mailpit.db"), KeepAll: true})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("%w, or pass -mail=false", err)
	}
	return s, func() { s.Stop(); _ = os.RemoveAll(dir) }, nil
}

// Package cliparse parses a kong command line for a main that must return an
// exit code rather than exit: --help ends with 0, bad usage with 2, and both
// print where the caller says, which keeps the commands testable in-process.
// It also defines the flags the worker, the starter and the console share
// (flags.go), so that each is declared once.
package cliparse

import (
	"fmt"
	"io"

	"github.com/alecthomas/kong"
)

// ExitUsage is the exit code for bad usage.
const ExitUsage = 2

type exitSignal struct{ code int }

// Parse parses args into model. When done is true the command line was
// handled (help printed, or a usage error reported on stderr) and code is the
// exit code; otherwise run kctx. The variables of the shared flags
// (flags.go) are set; options may add more.
func Parse(name string, model any, args []string, stdout, stderr io.Writer, options ...kong.Option) (kctx *kong.Context, code int, done bool) {
	return ParseReporting(name, model, args, stdout, stderr, nil, options...)
}

// ParseReporting is Parse that also hands a usage error's message to report
// (when not nil) after printing it on stderr, so that a command with a
// machine-readable mode (--json) can print it there too: a program that
// reads stdout learns of a mistyped flag like of any other error.
func ParseReporting(name string, model any, args []string, stdout, stderr io.Writer, report func(message string), options ...kong.Option) (kctx *kong.Context, code int, done bool) {
	options = append([]kong.Option{
		kong.Name(name),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { panic(exitSignal{code: code}) }),
		kong.Vars(sharedVars()),
	}, options...)
	parser, err := kong.New(model, options...)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return nil, 1, true
	}
	defer func() {
		if r := recover(); r != nil {
			exit, ok := r.(exitSignal)
			if !ok {
				panic(r)
			}
			kctx, code, done = nil, exit.code, true
			if code != 0 {
				code = ExitUsage
				if report != nil {
					report(fmt.Sprintf("bad usage (see %s --help)", name))
				}
			}
		}
	}()
	kctx, err = parser.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v (see %s --help)\n", name, err, name)
		if report != nil {
			report(fmt.Sprintf("%v (see %s --help)", err, name))
		}
		return nil, ExitUsage, true
	}
	return kctx, 0, false
}

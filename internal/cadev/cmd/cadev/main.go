// Command cadev prepares the local CA for scripts/ca.sh: `cadev prepare`
// makes the material, ca-config.json, certdb.json and the certificate
// store (see package cadev), and writes serve.args and ocspserve.args (one
// argument a line), the command lines the script starts bin/cfssl with, so
// that the script and the tests run CFSSL the same way.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cardflow/cardflow/internal/cadev"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "prepare" {
		fmt.Fprintln(os.Stderr, "usage: cadev prepare -bin bin/cfssl -dir .run/ca -url URL -ocsp-url URL -db-url URL")
		os.Exit(2)
	}
	var o cadev.Options
	fs := flag.NewFlagSet("prepare", flag.ExitOnError)
	fs.StringVar(&o.Bin, "bin", "bin/cfssl", "the cfssl binary")
	fs.StringVar(&o.Dir, "dir", ".run/ca", "the CA's material")
	fs.StringVar(&o.URL, "url", "http://127.0.0.1:8888", "where cfssl serve listens")
	fs.StringVar(&o.OCSPURL, "ocsp-url", "http://127.0.0.1:8889", "where cfssl ocspserve listens")
	fs.StringVar(&o.DBURL, "db-url", "postgres://postgres@127.0.0.1:5432/cards_ca?sslmode=disable", "the certificate store")
	_ = fs.Parse(os.Args[2:])
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "cadev:", err)
		os.Exit(1)
	}
}

func run(o cadev.Options) error {
	var err error
	if o.Dir, err = filepath.Abs(o.Dir); err != nil {
		return err
	}
	if err := cadev.Prepare(context.Background(), o); err != nil {
		return err
	}
	for name, args := range map[string]func(cadev.Options) ([]string, error){
		"serve.args": cadev.ServeArgs, "ocspserve.args": cadev.OCSPServeArgs,
	} {
		a, err := args(o)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(o.Dir, name), []byte(strings.Join(a, "\n")+"\n"), 0o600); err != nil {
			return err
		}
	}
	return nil
}

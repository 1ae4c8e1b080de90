package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cardflow/cardflow/internal/ca/cfssl"
	"github.com/cardflow/cardflow/internal/cadev"
)

// ProductionScenario is a scenario (card or scale) that produces cards (Issue card):
// a run that has one starts a real CA (CFSSL, as `make up` and the tests
// do) and the subject turns Issue card on with a print station of its own,
// so that no other scenario pays for either.
type ProductionScenario interface {
	Scenario
	// Produces is true: the scenario issues cards.
	Produces() bool
}

// needsProduction reports whether any of the scenarios produces cards.
func needsProduction(scenarios []CardScenario) bool {
	for _, s := range scenarios {
		if produces(s) {
			return true
		}
	}
	return false
}

// produces reports whether the scenario produces cards.
func produces(s Scenario) bool {
	p, ok := s.(ProductionScenario)
	return ok && p.Produces()
}

// startCA runs CFSSL's `serve` and `ocspserve` (the setup of package
// cadev, the one scripts/ca.sh and testkit.CA use) on free loopback ports,
// with its material in a temporary directory and its certificate store in
// a fresh database of its own, and opens the adapter the worker and the
// station share. Everything is removed by Close.
func startCA(ctx context.Context, cfg Config, e *Env) error {
	bin := cfg.CFSSL
	if bin == "" {
		bin = filepath.Join("bin", "cfssl")
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("no cfssl at %s: build it with `bash -c 'source scripts/lib.sh && ensure_cfssl'` or pass -cfssl", bin)
	}
	dir, err := os.MkdirTemp("", "cardflow-bench-ca-")
	if err != nil {
		return err
	}
	e.Defer(func() { _ = os.RemoveAll(dir) })
	dbURL, err := createDatabase(ctx, cfg.PostgresURL, "cardflow_bench_ca_", e)
	if err != nil {
		return err
	}
	addrs, err := cadev.FreeAddrs(2)
	if err != nil {
		return err
	}
	o := cadev.Options{Bin: bin, Dir: dir, URL: "http://" + addrs[0], OCSPURL: "http://" + addrs[1], DBURL: dbURL}
	if err := cadev.Prepare(ctx, o); err != nil {
		return fmt.Errorf("prepare the CA: %w", err)
	}
	srv, err := cadev.Start(ctx, o)
	if err != nil {
		return err
	}
	e.Defer(srv.Stop)
	e.CAConfig = cfssl.Config{URL: o.URL, OCSPURL: o.OCSPURL, CADir: dir, CertDBURL: dbURL}
	if e.CA, err = cfssl.New(e.CAConfig); err != nil {
		return err
	}
	e.Defer(func() { _ = e.CA.Close() })
	e.Setup.CA = "CFSSL " + bin + " at " + o.URL + ", OCSP " + o.OCSPURL + " (started by the bench)"
	return nil
}

package testkit

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/ca/cfssl"
	"github.com/cardflow/cardflow/internal/cadev"
)

// CAInfo is the test binary's local certificate authority: CFSSL's API and
// OCSP responder on free ports, its material in a temporary directory, its
// certificate store in a database of its own, and the adapter over it.
type CAInfo struct {
	// Config is where it is (URL, OCSPURL, CADir, CertDBURL): what a worker
	// under test is given.
	Config cfssl.Config
	// Authority is a ready adapter (a ca.Authority); tests share it.
	Authority *cfssl.Authority
}

var localCA once[*CAInfo]

// CA returns the test binary's CA (bin/cfssl, the setup of package cadev),
// started by the first test that asks and stopped by Main: one per test
// binary, shared by its tests, which keep apart by card id (serials derive
// from it).
func CA(t testing.TB) *CAInfo {
	t.Helper()
	Integration(t)
	return localCA.get(t, startCA)
}

func startCA() (info *CAInfo, undo func(), err error) {
	bin, err := binPath("cfssl")
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "cardflow-ca-")
	if err != nil {
		return nil, nil, err
	}
	dbName := "cardflow_test_ca_" + randomHex(6)
	var srv *cadev.Server
	undo = func() {
		if info != nil {
			_ = info.Authority.Close()
		}
		if srv != nil {
			srv.Stop()
		}
		dropDatabase(dbName)
		_ = os.RemoveAll(dir)
	}
	defer func() {
		if err != nil {
			undo()
		}
	}()
	dbURL, err := databaseURL(dbName)
	if err != nil {
		return nil, nil, err
	}
	addrs, err := cadev.FreeAddrs(2)
	if err != nil {
		return nil, nil, err
	}
	o := cadev.Options{Bin: bin, Dir: dir, URL: "http://" + addrs[0], OCSPURL: "http://" + addrs[1], DBURL: dbURL}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err = cadev.Prepare(ctx, o); err != nil {
		return nil, nil, err
	}
	if srv, err = cadev.Start(ctx, o); err != nil {
		return nil, nil, err
	}
	cfg := cfssl.Config{URL: o.URL, OCSPURL: o.OCSPURL, CADir: dir, CertDBURL: dbURL}
	a, err := cfssl.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	info = &CAInfo{Config: cfg, Authority: a}
	return info, undo, nil
}

func dropDatabase(name string) {
	admin, err := sql.Open("postgres", PostgresURL())
	if err != nil {
		return
	}
	defer admin.Close()
	if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
		fmt.Fprintf(os.Stderr, "testkit: drop the CA's database %s: %v\n", name, err)
	}
}

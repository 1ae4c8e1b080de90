package testkit

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// DexClientID and DexClientSecret are the one static client Dex knows.
const (
	DexClientID     = "cardflow-console"
	DexClientSecret = "test-secret"
)

// dexPasswordHash is bcrypt of "password", the demo password.
const dexPasswordHash = "$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W"

// Dex runs the pinned Dex (bin/dex) for the test, with memory storage, one
// static client (DexClientID) redirecting to redirectURI, and a password
// sign-in ("password") for each of people as <name>@example.com; it
// returns the issuer once Dex answers, and stops Dex when the test ends.
func Dex(t testing.TB, redirectURI string, people ...string) string {
	t.Helper()
	Integration(t)
	dex := Bin(t, "dex")
	addr := FreeAddr(t)
	issuer := "http://" + addr + "/dex"
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "issuer: %s\nstorage: {type: memory}\nweb: {http: %s}\noauth2: {skipApprovalScreen: true}\nlogger: {level: warn}\nenablePasswordDB: true\n", issuer, addr)
	fmt.Fprintf(&cfg, "staticClients:\n  - {id: %s, name: cardflow console, secret: %s, redirectURIs: ['%s']}\nstaticPasswords:\n", DexClientID, DexClientSecret, redirectURI)
	for i, p := range people {
		fmt.Fprintf(&cfg, "  - {email: %s@example.com, username: %s, userID: \"00000000-0000-4000-8000-%012d\", hash: %q}\n", p, p, i, dexPasswordHash)
	}
	path := filepath.Join(t.TempDir(), "dex.yaml")
	if err := os.WriteFile(path, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var log Buffer
	cmd := exec.Command(dex, "serve", path)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	Eventually(t, 30*time.Second, func() (bool, string) {
		select {
		case err := <-exited:
			t.Fatalf("Dex exited: %v\n%s", err, log.String())
		default:
		}
		resp, err := http.Get(issuer + "/.well-known/openid-configuration")
		if err != nil {
			return false, "Dex does not answer at " + issuer + ": " + err.Error() + "\n" + log.String()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, fmt.Sprintf("Dex answers %d at %s\n%s", resp.StatusCode, issuer, log.String())
	})
	return issuer
}

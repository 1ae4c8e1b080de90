package deploy

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/cardflow/cardflow/internal/testkit"
)

// releaseSQL is the CA adapter's release of a hold (internal/ca/cfssl),
// which the worker runs in the store as its role.
const releaseSQL = `UPDATE certificates SET status = 'good', reason = 0, revoked_at = '0001-01-01 00:00:00+00'
	WHERE serial_number = $1 AND authority_key_identifier = $2 AND status = 'revoked' AND reason = 6`

// The CA comes up as compose starts it, here without Docker: ca-init's
// script makes the material (and keeps it on a second start), the store
// gets certdb.sql and grants.sql, and `cfssl serve` and `cfssl ocspserve`
// run with the services' own command lines (paths and ports moved). Then
// the card certificate's life the worker drives: issue with a chosen
// serial, hold, release and OCSP as the worker's role with no more than
// grants.sql gives it, and a revocation for good that nothing undoes.
func TestCAComesUpAsComposeStartsIt(t *testing.T) {
	testkit.Integration(t)
	c := load(t)
	cfssl := testkit.Bin(t, "cfssl")
	config, err := filepath.Abs(filepath.Join("ca"))
	if err != nil {
		t.Fatal(err)
	}
	material, public := t.TempDir(), t.TempDir()
	moved := func(s string) string {
		s = strings.ReplaceAll(s, "/ca/material", material)
		s = strings.ReplaceAll(s, "/ca/public", public)
		return strings.ReplaceAll(s, "/ca/config", config)
	}

	// ca-init, twice: the second keeps the CA's key.
	script := moved(strings.ReplaceAll(flatten(c.Services["ca-init"].Command), "$$", "$"))
	path := filepath.Dir(cfssl) + string(os.PathListSeparator) + filepath.Dir(cfssljson(t)) + string(os.PathListSeparator) + os.Getenv("PATH")
	initCA := func() string {
		cmd := exec.Command("bash", "-c", script)
		cmd.Env = append(os.Environ(), "PATH="+path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ca-init's script: %v\n%s", err, out)
		}
		return string(out)
	}
	initCA()
	key, _ := os.ReadFile(filepath.Join(material, "ca-key.pem"))
	if out := initCA(); !strings.Contains(out, "CA kept") || strings.Contains(out, "OCSP responder certificate created") {
		t.Errorf("second ca-init said %q, want that it kept the CA and the responder", out)
	}
	if again, _ := os.ReadFile(filepath.Join(material, "ca-key.pem")); !bytes.Equal(key, again) {
		t.Fatal("a second ca-init made a new CA key: every card certificate would lose its issuer")
	}
	issuer := readCert(t, filepath.Join(public, "ca.pem"))
	if !issuer.IsCA || len(issuer.SubjectKeyId) == 0 {
		t.Fatalf("ca-public's ca.pem: IsCA %v, subject key id %x; want a CA with one (CFSSL names certificates by it)", issuer.IsCA, issuer.SubjectKeyId)
	}
	if entries, _ := os.ReadDir(public); len(entries) != 1 {
		t.Errorf("ca-public holds %d files, want ca.pem alone", len(entries))
	}
	aki := hex.EncodeToString(issuer.SubjectKeyId)

	// The store, as ca-certdb makes it (twice: it runs on every start).
	dbURL := testkit.EmptyDatabase(t)
	owner := testkit.Open(t, dbURL)
	schema, _ := os.ReadFile(certDBSchema)
	for range 2 {
		if _, err := owner.Exec(string(schema)); err != nil {
			t.Fatalf("certdb.sql: %v", err)
		}
	}
	role, roleURL := testkit.Role(t, dbURL)
	grants, _ := os.ReadFile(filepath.Join(config, "grants.sql"))
	app := databaseURL(t, c.Services["cardflow-worker"]).User.Username()
	if _, err := owner.Exec(strings.ReplaceAll(string(grants), " "+app+";", " "+role+";")); err != nil {
		t.Fatalf("grants.sql: %v", err)
	}
	worker := testkit.Open(t, roleURL)
	certdb := filepath.Join(t.TempDir(), "certdb.json")
	if err := os.WriteFile(certdb, fmt.Appendf(nil, `{"driver":"postgres","data_source":%q}`, dbURL), 0o600); err != nil {
		t.Fatal(err)
	}

	// The two services' command lines, moved to free loopback ports.
	addrs := testkit.FreeAddrs(t, 2)
	api, responder := "http://"+addrs[0], "http://"+addrs[1]
	for i, svc := range []string{"ca", "ca-ocsp"} {
		s := c.Services[svc]
		_, port, _ := strings.Cut(addrs[i], ":")
		var args []string
		for _, a := range commandArgs(s) {
			switch {
			case strings.HasPrefix(a, "-address="):
				a = "-address=127.0.0.1"
			case strings.HasPrefix(a, "-port="):
				a = "-port=" + port
			case strings.HasPrefix(a, "-db-config="):
				a = "-db-config=" + certdb
			}
			args = append(args, moved(a))
		}
		runCFSSL(t, cfssl, svc, args)
	}
	testkit.Eventually(t, 30*time.Second, func() (bool, string) {
		r1, err1 := http.Get(api + "/api/v1/cfssl/health")
		r2, err2 := http.Get(responder + "/")
		for _, r := range []*http.Response{r1, r2} {
			if r != nil {
				r.Body.Close()
			}
		}
		return err1 == nil && err2 == nil && r1.StatusCode == http.StatusOK, fmt.Sprintf("serve: %v, ocspserve: %v", err1, err2)
	})

	// Issue for a key made "on the card", with the serial the adapter picks.
	cardKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "Carol Cole"}}, cardKey)
	if err != nil {
		t.Fatal(err)
	}
	const serial = "81985529216486895"
	var signed struct {
		Certificate string `json:"certificate"`
	}
	cfsslCall(t, api, "sign", fmt.Sprintf(`{"certificate_request":%q,"profile":"card-auth","serial":%s}`,
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr}), serial), &signed)
	block, _ := pem.Decode([]byte(signed.Certificate))
	if block == nil {
		t.Fatalf("sign returned no certificate: %q", signed.Certificate)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if cert.SerialNumber.String() != serial || len(cert.OCSPServer) != 1 || cert.OCSPServer[0] != "http://ca-ocsp:8889" {
		t.Errorf("issued serial %s, OCSP %v; want %s and the compose responder", cert.SerialNumber, cert.OCSPServer, serial)
	}

	// Hold at the CA; release, OCSP-sign and store as the worker.
	cfsslCall(t, api, "revoke", fmt.Sprintf(`{"serial":%q,"authority_key_id":%q,"reason":"certificateHold"}`, serial, aki), nil)
	if res, err := worker.Exec(releaseSQL, []byte(serial), []byte(aki)); err != nil {
		t.Fatalf("the worker cannot release a hold with grants.sql's privileges: %v", err)
	} else if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("release changed %d rows, want 1", n)
	}
	var signedOCSP struct {
		Response string `json:"ocspResponse"`
	}
	cfsslCall(t, api, "ocspsign", fmt.Sprintf(`{"certificate":%q,"status":"good"}`, signed.Certificate), &signedOCSP)
	der, err := base64.StdEncoding.DecodeString(signedOCSP.Response)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := worker.Exec(`INSERT INTO ocsp_responses (serial_number, authority_key_identifier, body, expiry)
		VALUES ($1, $2, $3, now() + interval '1 day')
		ON CONFLICT (serial_number, authority_key_identifier) DO UPDATE SET body = EXCLUDED.body, expiry = EXCLUDED.expiry`,
		[]byte(serial), []byte(aki), der); err != nil {
		t.Fatalf("the worker cannot store an OCSP response with grants.sql's privileges: %v", err)
	}
	if got := askOCSP(t, responder, cert, issuer); got.Status != ocsp.Good {
		t.Errorf("OCSP after release: status %d, want good", got.Status)
	}

	// Nothing beyond that for the worker.
	for _, stmt := range []string{
		`DELETE FROM certificates`,
		`UPDATE certificates SET pem = 'x'`,
		`INSERT INTO certificates (serial_number, authority_key_identifier, status, pem) VALUES ('1', 'a', 'good', 'x')`,
		`DELETE FROM ocsp_responses`,
	} {
		if _, err := worker.Exec(stmt); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("the worker's role may %s (%v)", stmt, err)
		}
	}

	// Revoked for good stays revoked: a later hold fails at the CA, and
	// the worker's release finds nothing to release.
	cfsslCall(t, api, "revoke", fmt.Sprintf(`{"serial":%q,"authority_key_id":%q,"reason":"keyCompromise"}`, serial, aki), nil)
	if status, body := post(t, api, "revoke", fmt.Sprintf(`{"serial":%q,"authority_key_id":%q,"reason":"certificateHold"}`, serial, aki)); status == http.StatusOK {
		t.Errorf("a hold after a revocation for good succeeded (%s): the finality trigger is missing", body)
	}
	if res, err := worker.Exec(releaseSQL, []byte(serial), []byte(aki)); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n != 0 {
		t.Error("the worker released a certificate revoked for good")
	}
	var reason int
	if err := owner.QueryRow(`SELECT reason FROM certificates WHERE serial_number = $1`, []byte(serial)).Scan(&reason); err != nil || reason != 1 {
		t.Errorf("stored reason %d (%v), want 1 (keyCompromise)", reason, err)
	}
}

// cfssljson is the tool ca-init splits CFSSL's JSON with (the image has
// it): from bin/ or PATH, else built from the module cache at the version
// of the image.
func cfssljson(t *testing.T) string {
	t.Helper()
	if p := filepath.Join(testkit.Root(), "bin", "cfssljson"); fileExists(p) {
		return p
	}
	if p, err := exec.LookPath("cfssljson"); err == nil {
		return p
	}
	dir := t.TempDir()
	cmd := exec.Command("go", "install", "github.com/cloudflare/cfssl/cmd/cfssljson@v1.6.5")
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build cfssljson: %v\n%s", err, out)
	}
	return filepath.Join(dir, "cfssljson")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// runCFSSL starts cfssl with args until the test ends, its output in a
// file that a failing test shows.
func runCFSSL(t *testing.T, bin, name string, args []string) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
		if t.Failed() {
			out, _ := os.ReadFile(logPath)
			t.Logf("%s (cfssl %v) said:\n%s", name, args, out)
		}
	})
}

// post sends a CFSSL API request and returns the status and body.
func post(t *testing.T, api, endpoint, body string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(api+"/api/v1/cfssl/"+endpoint, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// cfsslCall sends a CFSSL API request that must succeed and decodes its
// result into result (when not nil).
func cfsslCall(t *testing.T, api, endpoint, body string, result any) {
	t.Helper()
	status, out := post(t, api, endpoint, body)
	var env struct {
		Success bool            `json:"success"`
		Result  json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(out, &env); err != nil || status != http.StatusOK || !env.Success {
		t.Fatalf("%s: HTTP %d: %s", endpoint, status, out)
	}
	if result != nil {
		if err := json.Unmarshal(env.Result, result); err != nil {
			t.Fatalf("%s: %v: %s", endpoint, err, out)
		}
	}
}

// askOCSP asks the responder about cert and checks the answer's signature.
func askOCSP(t *testing.T, responder string, cert, issuer *x509.Certificate) *ocsp.Response {
	t.Helper()
	req, err := ocsp.CreateRequest(cert, issuer, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(responder, "application/ocsp-request", bytes.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	der, _ := io.ReadAll(resp.Body)
	parsed, err := ocsp.ParseResponseForCert(der, cert, issuer)
	if err != nil {
		t.Fatalf("OCSP: %v", err)
	}
	return parsed
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		t.Fatalf("%s: no PEM", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

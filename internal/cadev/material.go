package cadev

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
)

// The CSRs of the CA and of its OCSP responder. The CA's key is ECDSA P-256;
// `gencert -initca` gives it a subject key id that is the SHA-1 of its key,
// which OCSP lookups (by issuer key hash) rely on.
const (
	caCSR   = `{"CN":"cardflow Test Issuing CA","key":{"algo":"ecdsa","size":256},"ca":{"expiry":"87600h"}}`
	ocspCSR = `{"CN":"cardflow Test OCSP Responder","key":{"algo":"ecdsa","size":256}}`
)

// profile is one signing profile of ca-config.json.
type profile struct {
	Usages       []string `json:"usages"`
	Expiry       string   `json:"expiry"`
	OCSPURL      string   `json:"ocsp_url,omitempty"`
	CRLURL       string   `json:"crl_url,omitempty"`
	ClientSerial bool     `json:"ClientProvidesSerialNumbers,omitempty"`
}

// writeConfigs writes ca-config.json (one profile per card certificate
// usage, the client choosing the serial so that issuing is idempotent, and
// the OCSP responder's) and certdb.json.
func writeConfigs(o Options) error {
	card := func(usages ...string) profile {
		return profile{Usages: usages, Expiry: "26280h", OCSPURL: o.OCSPURL,
			CRLURL: o.URL + "/api/v1/cfssl/crl", ClientSerial: true}
	}
	cfg := map[string]any{"signing": map[string]any{
		"default": map[string]string{"expiry": "8760h"},
		"profiles": map[string]profile{
			"card-auth": card("digital signature", "client auth"),
			"card-sign": card("digital signature", "content commitment"),
			"card-enc":  card("key encipherment"),
			"ocsp":      {Usages: []string{"digital signature", "ocsp signing"}, Expiry: "8760h"},
		},
	}}
	if err := writeJSON(o.path("ca-config.json"), cfg); err != nil {
		return err
	}
	return writeJSON(o.path("certdb.json"), map[string]string{"driver": "postgres", "data_source": o.DBURL})
}

// makeMaterial makes the CA and the responder certificate once.
func makeMaterial(ctx context.Context, o Options) error {
	if !exists(o.path("ca.pem")) || !exists(o.path("ca-key.pem")) {
		if err := gencert(ctx, o, "ca", caCSR, "-initca"); err != nil {
			return err
		}
	}
	if !exists(o.path("ocsp.pem")) || !exists(o.path("ocsp-key.pem")) {
		return gencert(ctx, o, "ocsp", ocspCSR, "-ca", o.path("ca.pem"), "-ca-key", o.path("ca-key.pem"),
			"-config", o.path("ca-config.json"), "-profile", "ocsp")
	}
	return nil
}

// gencert runs `cfssl gencert args... -` on csr and splits its JSON answer
// into name.pem and name-key.pem (what cfssljson would do).
func gencert(ctx context.Context, o Options, name, csr string, args ...string) error {
	cmd := exec.CommandContext(ctx, o.Bin, append(append([]string{"gencert"}, args...), "-")...)
	cmd.Stdin = bytes.NewBufferString(csr)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("cfssl gencert (%s): %w: %s", name, err, stderr.String())
	}
	var res struct{ Cert, Key string }
	if err := json.Unmarshal(out, &res); err != nil || res.Cert == "" || res.Key == "" {
		return fmt.Errorf("cfssl gencert (%s): unexpected output", name)
	}
	if err := os.WriteFile(o.path(name+"-key.pem"), []byte(res.Key), 0o600); err != nil {
		return err
	}
	return os.WriteFile(o.path(name+".pem"), []byte(res.Cert), 0o644)
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

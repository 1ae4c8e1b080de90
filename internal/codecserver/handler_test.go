package codecserver

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cardflow/cardflow/internal/codec"
)

const uiOrigin = "http://localhost:8233"

func newCodec(t *testing.T) *codec.Codec {
	t.Helper()
	secret := make([]byte, codec.KeySize)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	c, err := codec.New([]codec.Key{{ID: "k1", Secret: secret}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func serve(t *testing.T, token string) (*httptest.Server, *codec.Codec) {
	t.Helper()
	c := newCodec(t)
	srv := httptest.NewServer(Handler(Config{Codec: c, Origins: []string{uiOrigin, "http://127.0.0.1:8233"}, Token: token}))
	t.Cleanup(srv.Close)
	return srv, c
}

func payloadsJSON(t *testing.T, ps ...*commonpb.Payload) []byte {
	t.Helper()
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: ps})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func do(t *testing.T, method, url string, body []byte, headers map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestDecodeAndEncodeAtEveryPath(t *testing.T) {
	srv, c := serve(t, "")
	plain, err := converter.GetDefaultDataConverter().ToPayload("Carol Cole")
	if err != nil {
		t.Fatal(err)
	}
	encrypted, err := c.Encode([]*commonpb.Payload{plain})
	if err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"", "/default", "/cards.a1b2c"} {
		resp, body := do(t, "POST", srv.URL+prefix+"/decode", payloadsJSON(t, encrypted...), map[string]string{"Content-Type": "application/json", "X-Namespace": "default"})
		if resp.StatusCode != 200 || !strings.Contains(body, "IkNhcm9sIENvbGUi") { // base64 of "Carol Cole" in JSON quotes
			t.Fatalf("POST %s/decode: %s %s", prefix, resp.Status, body)
		}
		resp, body = do(t, "POST", srv.URL+prefix+"/encode", payloadsJSON(t, plain), map[string]string{"Content-Type": "application/json"})
		var out commonpb.Payloads
		if resp.StatusCode != 200 || protojson.Unmarshal([]byte(body), &out) != nil || len(out.Payloads) != 1 {
			t.Fatalf("POST %s/encode: %s %s", prefix, resp.Status, body)
		}
		if string(out.Payloads[0].Metadata[codec.MetadataEncoding]) != codec.EncodingName {
			t.Fatalf("encode did not encrypt: %v", out.Payloads[0])
		}
	}
}

func TestDecodeErrorsNameTheProblem(t *testing.T) {
	srv, _ := serve(t, "")
	other := newCodec(t)
	plain, _ := converter.GetDefaultDataConverter().ToPayload("x")
	foreign, _ := other.Encode([]*commonpb.Payload{plain})
	foreign[0].Metadata[codec.MetadataKeyID] = []byte("retired")
	resp, body := do(t, "POST", srv.URL+"/decode", payloadsJSON(t, foreign...), nil)
	if resp.StatusCode != 400 || !strings.Contains(body, "payload was encrypted with key retired, which CARDS_CODEC_KEYS does not list") {
		t.Fatalf("%s %s", resp.Status, body)
	}
}

func TestPreflightFromTheUIOrigin(t *testing.T) {
	srv, _ := serve(t, "s3cret")
	for _, path := range []string{"/decode", "/default/decode", "/encode"} {
		resp, _ := do(t, "OPTIONS", srv.URL+path, nil, map[string]string{
			"Origin":                         uiOrigin,
			"Access-Control-Request-Method":  "POST",
			"Access-Control-Request-Headers": "content-type,x-namespace",
		})
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("preflight %s: %s (it needs no token)", path, resp.Status)
		}
		h := resp.Header
		if h.Get("Access-Control-Allow-Origin") != uiOrigin || h.Get("Access-Control-Allow-Headers") != "Content-Type,X-Namespace,Authorization" ||
			!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") {
			t.Fatalf("preflight %s headers: %v", path, h)
		}
	}
}

func TestSecondOriginIsEchoedExactly(t *testing.T) {
	srv, _ := serve(t, "")
	resp, _ := do(t, "POST", srv.URL+"/decode", payloadsJSON(t), map[string]string{"Origin": "http://127.0.0.1:8233"})
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:8233" {
		t.Fatalf("%s %v", resp.Status, resp.Header)
	}
}

func TestOtherOriginsGetNoCORS(t *testing.T) {
	srv, _ := serve(t, "")
	resp, body := do(t, "OPTIONS", srv.URL+"/decode", nil, map[string]string{"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" || !strings.Contains(body, "CARDS_CODEC_CORS_ORIGINS") {
		t.Fatalf("preflight from another origin: %s %v %s", resp.Status, resp.Header, body)
	}
	resp, _ = do(t, "POST", srv.URL+"/decode", payloadsJSON(t), map[string]string{"Origin": "http://evil.example"})
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("POST from another origin got CORS headers: %v", resp.Header)
	}
}

func TestTokenIsRequiredWhenSet(t *testing.T) {
	srv, _ := serve(t, "s3cret")
	body := payloadsJSON(t)
	resp, msg := do(t, "POST", srv.URL+"/decode", body, map[string]string{"Origin": uiOrigin})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(msg, "Authorization: Bearer") {
		t.Fatalf("no token: %s %s", resp.Status, msg)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != uiOrigin {
		t.Fatal("a 401 to the UI must carry CORS headers, or the browser hides the reason")
	}
	resp, msg = do(t, "POST", srv.URL+"/default/decode", body, map[string]string{"Authorization": "Bearer wrong"})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(msg, "wrong bearer token") {
		t.Fatalf("wrong token: %s %s", resp.Status, msg)
	}
	resp, msg = do(t, "POST", srv.URL+"/decode", body, map[string]string{"Authorization": "Bearer s3cret"})
	if resp.StatusCode != 200 {
		t.Fatalf("right token: %s %s", resp.Status, msg)
	}
}

func TestNoTokenConfiguredNeedsNone(t *testing.T) {
	srv, _ := serve(t, "")
	if resp, msg := do(t, "POST", srv.URL+"/decode", payloadsJSON(t), nil); resp.StatusCode != 200 {
		t.Fatalf("%s %s", resp.Status, msg)
	}
}

func TestOtherPathsAndMethods(t *testing.T) {
	srv, _ := serve(t, "")
	if resp, _ := do(t, "GET", srv.URL+"/decode", nil, nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /decode: %s", resp.Status)
	}
	if resp, _ := do(t, "POST", srv.URL+"/a/b/decode", payloadsJSON(t), nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("POST /a/b/decode: %s", resp.Status)
	}
	if resp, body := do(t, "GET", srv.URL+"/", nil, nil); resp.StatusCode != 200 || !strings.Contains(body, "--codec-endpoint") {
		t.Fatalf("GET /: %s %s", resp.Status, body)
	}
	if resp, body := do(t, "POST", srv.URL+"/decode", []byte("{not json"), nil); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad JSON: %s %s", resp.Status, body)
	}
}

func TestParseOrigins(t *testing.T) {
	got, err := ParseOrigins(" http://localhost:8233, https://temporal.example.com ,")
	if err != nil || strings.Join(got, " ") != "http://localhost:8233 https://temporal.example.com" {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"localhost:8233", "http://localhost:8233/", "ftp://x", "http://"} {
		if _, err := ParseOrigins(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParseOrigins(%q) = %v, want an error naming it", bad, err)
		}
	}
}

func TestListenAndClose(t *testing.T) {
	s, err := Listen("127.0.0.1:0", Handler(Config{Codec: newCodec(t)}))
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := do(t, "POST", "http://"+s.Addr+"/decode", payloadsJSON(t), nil); resp.StatusCode != 200 {
		t.Fatalf("%s", resp.Status)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Listen(s.Addr, http.NotFoundHandler())
	if err != nil {
		t.Fatalf("address not released: %v", err)
	}
	_ = again.Close()
	busy, err := Listen("127.0.0.1:0", http.NotFoundHandler())
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if _, err := Listen(busy.Addr, http.NotFoundHandler()); err == nil || !strings.Contains(err.Error(), "CARDS_CODEC_LISTEN") {
		t.Fatalf("busy address: %v", err)
	}
}

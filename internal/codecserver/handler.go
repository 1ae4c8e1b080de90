// Package codecserver is the Temporal codec endpoint for people: the
// Temporal UI (--ui-codec-endpoint) and `temporal --codec-endpoint` send it
// encrypted payloads and show what it returns. It serves POST /encode and
// /decode (also under /{namespace}/), answers the browser's CORS preflight for
// the UI's origin only, and can require a bearer token, since whoever reaches
// it can read every card request's personal data.
package codecserver

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"go.temporal.io/sdk/converter"
)

// MaxBody caps a request body; the UI decodes a page of history at a time.
const MaxBody = 32 << 20

// AllowedHeaders are the request headers the UI sends to a codec endpoint.
const AllowedHeaders = "Content-Type,X-Namespace,Authorization"

// Config is what the handler serves with.
type Config struct {
	// Codec encrypts and decrypts.
	Codec converter.PayloadCodec
	// Origins are the exact browser origins (scheme://host:port) allowed to
	// call the endpoint, usually the Temporal UI's.
	Origins []string
	// Token, when set, must arrive as `Authorization: Bearer <token>`.
	Token string
}

// ParseOrigins splits a comma-separated origin list and checks each entry,
// so that a typo (a trailing slash, a path) is reported at start rather than
// as a UI that silently shows ciphertext.
func ParseOrigins(list string) ([]string, error) {
	var origins []string
	for _, o := range strings.Split(list, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
			return nil, fmt.Errorf("CORS origin %q: want scheme://host[:port] with nothing after it, for example http://localhost:8233", o)
		}
		origins = append(origins, o)
	}
	return origins, nil
}

// Handler returns the codec endpoint.
func Handler(cfg Config) http.Handler {
	codec := converter.NewPayloadCodecHTTPHandler(cfg.Codec)
	mux := http.NewServeMux()
	for _, path := range []string{"/encode", "/decode", "/{namespace}/encode", "/{namespace}/decode"} {
		mux.Handle("POST "+path, requireToken(cfg.Token, limitBody(codec)))
		mux.HandleFunc("OPTIONS "+path, preflight)
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "cardflow codec server: POST /encode and /decode (also /{namespace}/encode|decode) with Temporal Payloads as JSON.")
		fmt.Fprintln(w, "Use it with `temporal workflow show --codec-endpoint <this URL>` or `temporal server start-dev --ui-codec-endpoint <this URL>`.")
	})
	return withCORS(cfg.Origins, mux)
}

// withCORS lets the listed origins read the answers; other origins get no
// CORS headers (so browsers refuse them) and a preflight that says why.
func withCORS(origins []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" {
			w.Header().Add("Vary", "Origin")
			if !slices.Contains(origins, origin) {
				if r.Method == http.MethodOptions {
					http.Error(w, fmt.Sprintf("origin %s may not use this codec server; add it to CARDS_CODEC_CORS_ORIGINS (allowed: %s)", origin, strings.Join(origins, ", ")), http.StatusForbidden)
					return
				}
			} else {
				h := w.Header()
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", AllowedHeaders)
				h.Set("Access-Control-Allow-Credentials", "true")
				h.Set("Access-Control-Max-Age", "600")
			}
		}
		next.ServeHTTP(w, r)
	})
}

// preflight answers the browser's OPTIONS before a POST; it needs no token,
// since browsers never send credentials with a preflight.
func preflight(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusNoContent)
}

func requireToken(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cardflow codec"`)
			msg := "missing Authorization: Bearer <token> (this codec server requires CARDS_CODEC_TOKEN; the CLI sends it with --codec-auth 'Bearer <token>')"
			if len(got) > 0 {
				msg = "wrong bearer token for this codec server (CARDS_CODEC_TOKEN)"
			}
			http.Error(w, msg, http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		next.ServeHTTP(w, r)
	})
}

package cfssl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/cardflow/cardflow/internal/ca"
)

// CFSSL's error codes that the adapter tells apart: category 11 is the
// certificate store; 11000 wraps any SQL error (a duplicate key, the
// finality trigger's refusal, the database being down), 11200 is "no such
// certificate".
const (
	codeStoreSQL      = 11000
	codeStoreNotFound = 11200
)

// errDuplicate is a sign refused because the serial was issued before.
var errDuplicate = errors.New("serial already issued")

// apiError is CFSSL's refusal as its API reports it.
type apiError struct {
	Path    string
	Status  int
	Code    int
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("CFSSL %s: HTTP %d, code %d: %s", e.Path, e.Status, e.Code, e.Message)
}

// call posts body to the API at path and decodes the result into out. Its
// errors are classified for the port: ca.ErrNotFound, *ca.PermanentError,
// errDuplicate (wrapped), or a plain error worth retrying.
func (a *Authority) call(ctx context.Context, path string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.URL+"/api/v1/cfssl/"+path, bytes.NewReader(b))
	if err != nil {
		return &ca.PermanentError{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("CFSSL %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("CFSSL %s: %w", path, err)
	}
	var env struct {
		Success bool            `json:"success"`
		Result  json.RawMessage `json:"result"`
		Errors  []struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if jerr := json.Unmarshal(raw, &env); jerr != nil || !env.Success || resp.StatusCode != http.StatusOK {
		e := &apiError{Path: path, Status: resp.StatusCode, Message: strings.TrimSpace(string(raw))}
		if jerr == nil && len(env.Errors) > 0 {
			e.Code, e.Message = env.Errors[0].Code, env.Errors[0].Message
		}
		return classify(e)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		return fmt.Errorf("CFSSL %s: unexpected result: %w", path, err)
	}
	return nil
}

// classify maps a CFSSL refusal to the port's kinds of error.
func classify(e *apiError) error {
	switch {
	case e.Status >= 500 || e.Status < 400:
		return e // the server's trouble: retry
	case e.Code == codeStoreNotFound:
		return fmt.Errorf("%w: %w", ca.ErrNotFound, e)
	case e.Code == codeStoreSQL && strings.Contains(e.Message, "duplicate key"):
		return fmt.Errorf("%w: %w", errDuplicate, e)
	case e.Code == codeStoreSQL && (strings.Contains(e.Message, "permanently revoked") || strings.Contains(e.Message, "removeFromCRL")):
		return &ca.PermanentError{Err: e} // the finality trigger
	case e.Code/1000 == codeStoreSQL/1000:
		return e // the store is down or busy: retry
	default:
		return &ca.PermanentError{Err: e} // a request CFSSL will never take
	}
}

package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/codec"
	"github.com/cardflow/cardflow/internal/codecserver"
)

const codecToken = "e2e-token"

// startCodecServer serves the harness's keys the way `worker codec-server`
// does, with a required token, and returns its URL.
func (h *harness) startCodecServer() string {
	h.t.Helper()
	c, err := codec.Load(h.codecKeys)
	if err != nil {
		h.t.Fatal(err)
	}
	srv, err := codecserver.Listen("127.0.0.1:0", codecserver.Handler(codecserver.Config{
		Codec: c, Origins: []string{"http://localhost:8233"}, Token: codecToken,
	}))
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = srv.Close() })
	return "http://" + srv.Addr
}

// history is `temporal workflow show -o json`, through the codec endpoint
// when one is given.
func (h *harness) history(workflowID, codecEndpoint string) string {
	h.t.Helper()
	args := []string{"workflow", "show", "--workflow-id", workflowID, "-o", "json"}
	if codecEndpoint != "" {
		args = append(args, "--codec-endpoint", codecEndpoint, "--codec-auth", "Bearer "+codecToken)
	}
	return h.temporalCmd(args...)
}

// readableHistory is what `temporal workflow show -o json` reveals once its
// base64 payloads are decoded (the CLI prints payloads as base64 in JSON).
type readableHistory struct {
	// text is every string of the output plus every payload's decoded data.
	text string
	// encrypted counts payloads with the encrypted encoding.
	encrypted int
	// clearPayloads are the other payloads, except search attributes (which
	// the codec never touches and which hold user ids only).
	clearPayloads []string
}

func readHistory(t *testing.T, out string) readableHistory {
	t.Helper()
	var doc any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("temporal workflow show -o json: %v\n%s", err, out)
	}
	var r readableHistory
	var text strings.Builder
	var walk func(v any, inSearchAttributes bool)
	walk = func(v any, inSearchAttributes bool) {
		switch v := v.(type) {
		case string:
			text.WriteString(v + "\n")
		case []any:
			for _, e := range v {
				walk(e, inSearchAttributes)
			}
		case map[string]any:
			if meta, ok := v["metadata"].(map[string]any); ok {
				encoding, _ := base64.StdEncoding.DecodeString(fmt.Sprint(meta["encoding"]))
				data, _ := base64.StdEncoding.DecodeString(fmt.Sprint(v["data"]))
				text.Write(data)
				text.WriteString("\n")
				switch {
				case string(encoding) == codec.EncodingName:
					r.encrypted++
				case !inSearchAttributes:
					r.clearPayloads = append(r.clearPayloads, string(data))
				}
			}
			for k, e := range v {
				walk(e, inSearchAttributes || k == "searchAttributes")
			}
		}
	}
	walk(doc, false)
	r.text = text.String()
	return r
}

// Names, UPNs, e-mail addresses, comments and refusal texts never reach
// Temporal in clear; the codec endpoint gives them back to whoever holds it.
func TestPrivatePayloadsStayOutOfTheHistory(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withCodec())
	endpoint := h.startCodecServer()

	if r := h.starter("users", "upsert", "--id", "pia", "--given-name", "Philippa", "--surname", "Privatt",
		"--upn", "philippa.privatt@corp.example", "--email", "pp.home@mail.example", "--state", "active"); r.code != 0 {
		t.Fatalf("users upsert: %s", r.stderr)
	}
	if r := h.starter("users", "upsert", "--id", "quin", "--given-name", "Quentin", "--surname", "Quietus",
		"--upn", "quentin.quietus@corp.example", "--email", "qq.home@mail.example", "--state", "inactive"); r.code != 0 {
		t.Fatalf("users upsert: %s", r.stderr)
	}

	s := h.request("pia", "privileged")
	if s.CommonName != "Philippa Privatt" || s.UPN != "philippa.privatt@corp.example" {
		t.Fatalf("status through the codec: %+v", s)
	}
	notAllowed := h.refusal(3, "NotAllowed", "approve", "--request", s.ID, "--approver", "mallory", "--comment", "mallory vouches for Philippa")
	approval := "Philippa showed her passport at the badge office"
	h.statusOf("approve", "--request", s.ID, "--approver", "alice", "--comment", approval)
	// A plain signal from the Temporal CLI, encoded by the codec endpoint.
	signalComment := "Bernard confirms Philippa's transfer"
	h.temporalCmd("workflow", "signal", "--workflow-id", s.WorkflowID, "--name", cards.Approve,
		"--input", `{"actor": "bernard", "comment": "`+signalComment+`"}`, "--codec-endpoint", endpoint, "--codec-auth", "Bearer "+codecToken)
	if err := h.wait(s.ID); err != nil {
		t.Fatalf("request did not end approved: %v", err)
	}
	if got := h.card(s.ID).State; got != "approved" {
		t.Fatalf("card state %s, want approved", got)
	}
	notActive := h.refusal(3, "UserNotActive", "request", "--user", "quin", "--operator", "olivia")

	private := map[string][]string{
		s.WorkflowID: {"Philippa", "Privatt", "philippa.privatt@corp.example", approval, signalComment, notAllowed},
	}
	var refusedID string
	for _, line := range strings.Split(h.temporalCmd("workflow", "list", "--query", "CardUserId='quin'"), "\n") {
		if i := strings.Index(line, "request-card-"); i >= 0 {
			refusedID = strings.Fields(line[i:])[0]
		}
	}
	if refusedID == "" {
		t.Fatal("the refused request's workflow is not listed by CardUserId")
	}
	// The refusal ends the request before the user's data is read: its text
	// is what would leak.
	private[refusedID] = []string{notActive}

	for wid, secrets := range private {
		plain, decoded := readHistory(t, h.history(wid, "")), readHistory(t, h.history(wid, endpoint))
		if len(plain.clearPayloads) > 0 {
			t.Errorf("%s: payloads in clear outside search attributes: %v", wid, plain.clearPayloads)
		}
		if plain.encrypted == 0 || decoded.encrypted != 0 {
			t.Errorf("%s: %d encrypted payloads without the codec, %d through it", wid, plain.encrypted, decoded.encrypted)
		}
		for _, secret := range secrets {
			// Inside JSON payloads quotes are escaped.
			quoted, _ := json.Marshal(secret)
			escaped := strings.Trim(string(quoted), `"`)
			if strings.Contains(plain.text, secret) || strings.Contains(plain.text, escaped) {
				t.Errorf("%s: history without the codec shows %q", wid, secret)
			}
			if !strings.Contains(decoded.text, secret) && !strings.Contains(decoded.text, escaped) {
				t.Errorf("%s: history through the codec endpoint lacks %q", wid, secret)
			}
		}
	}
	// The user's e-mail address is not even encrypted there: the reads
	// (PrepareRequest) return the card's data, not the directory entry.
	if text := readHistory(t, h.history(s.WorkflowID, endpoint)).text; strings.Contains(text, "pp.home@mail.example") {
		t.Errorf("%s: the history holds the user's e-mail address", s.WorkflowID)
	}
	// Search attributes stay readable (user ids only), so lists and filters work.
	if out := h.temporalCmd("workflow", "list", "--query", "CardUserId='pia' AND CardRequestState='approved'"); !strings.Contains(out, s.WorkflowID) {
		t.Errorf("search attributes: %s", out)
	}
}

// The UI's current details (a query, not history) are encrypted too.
func TestCurrentDetailsAreEncrypted(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withCodec())
	endpoint := h.startCodecServer()
	s := h.request("alice", "visitor") // approved at once: details name the card
	plain := h.temporalCmd("workflow", "metadata", "--workflow-id", s.WorkflowID, "-o", "json")
	decoded := h.temporalCmd("workflow", "metadata", "--workflow-id", s.WorkflowID, "-o", "json", "--codec-endpoint", endpoint, "--codec-auth", "Bearer "+codecToken)
	if strings.Contains(plain, "Archer") || strings.Contains(plain, "visitor.alice@example.com") {
		t.Errorf("metadata query without the codec shows personal data:\n%s", plain)
	}
	if !strings.Contains(decoded, "Visitor Archer") {
		t.Errorf("metadata query through the codec lacks the common name:\n%s", decoded)
	}
}

// The codec server answers the Temporal UI's preflight and refuses callers
// without the token.
func TestCodecServerGuardsItsDoor(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withCodec())
	endpoint := h.startCodecServer()
	s := h.request("alice", "visitor")

	req, _ := http.NewRequest(http.MethodOptions, endpoint+"/default/decode", nil)
	req.Header.Set("Origin", "http://localhost:8233")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:8233" {
		t.Fatalf("preflight: %s %v", resp.Status, resp.Header)
	}

	// The workflow's input as stored: encrypted, and readable only with the token.
	events := h.client.GetWorkflowHistory(context.Background(), s.WorkflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	first, err := events.Next()
	if err != nil {
		t.Fatal(err)
	}
	body, err := protojson.Marshal(first.GetWorkflowExecutionStartedEventAttributes().GetInput())
	if err != nil {
		t.Fatal(err)
	}
	post := func(auth string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, endpoint+"/default/decode", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Namespace", "default")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, msg := post(""); code != http.StatusUnauthorized {
		t.Fatalf("decode without the token: %d %s", code, msg)
	}
	var decoded commonpb.Payloads
	code, msg := post("Bearer " + codecToken)
	if code != http.StatusOK || protojson.Unmarshal([]byte(msg), &decoded) != nil || !strings.Contains(string(decoded.Payloads[0].GetData()), `"userId":"alice"`) {
		t.Fatalf("decode with the token: %d %s", code, msg)
	}
}

// A starter without the key, talking to a worker that encrypts, says to set
// CARDS_CODEC_KEYS instead of failing on an unknown encoding.
func TestStarterWithoutTheKeySaysWhatToSet(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withCodec())
	s := h.request("alice", "standard")
	keys := h.codecKeys
	h.codecKeys = ""
	defer func() { h.codecKeys = keys }()
	r := h.starter("status", "--request", s.ID, "--json")
	if r.code != 1 || !strings.Contains(r.stdout, `"type": "CannotDecrypt"`) || !strings.Contains(r.stderr, "set CARDS_CODEC_KEYS") {
		t.Fatalf("status without the key: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	// A refusal keeps its type (exit 3); its encrypted reason says what to set.
	r = h.starter("approve", "--request", s.ID, "--approver", "alice", "--comment", "my own card", "--json")
	if r.code != 3 || !strings.Contains(r.stdout, `"type": "NotAllowed"`) || !strings.Contains(r.stderr, "set CARDS_CODEC_KEYS") {
		t.Fatalf("refused approve without the key: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	// An accepted approval: the worker read it, only the answer is sealed.
	r = h.starter("approve", "--request", s.ID, "--approver", "bernard", "--comment", "ok", "--json")
	if r.code != 1 || !strings.Contains(r.stderr, "set CARDS_CODEC_KEYS") || !strings.Contains(r.stderr, "the approve may have been carried out") {
		t.Fatalf("approve without the key: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	if got := h.card(s.ID).State; got != "approved" {
		t.Fatalf("card %s, want approved (the worker read the plain update)", got)
	}
}

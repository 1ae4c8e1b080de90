// Package console is the web console where operators request cards and
// approvers decide them, after signing in with OpenID Connect. Pages are
// rendered on the server with html/template and work as plain forms; htmx
// (one pinned file, embedded) makes them smoother. Every request and decision
// goes through internal/cardops, the same workflow updates the starter uses,
// with the signed-in directory user as the actor.
package console

import (
	"context"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/workflows/lane"
	"github.com/cardflow/cardflow/workflows/order"
)

// CardOps is what the console asks of the workflow; *cardops.Client is the
// real one. It is an interface so that handler tests can check the console's
// own rules without a Temporal server.
type CardOps interface {
	Request(ctx context.Context, in cardops.RequestInput) (cards.Status, error)
	Decide(ctx context.Context, cardID, kind string, in cards.DecisionInput) (cards.Status, error)
	Status(ctx context.Context, cardID string) (cards.Status, error)
	// StartOperation, AwaitOperation and OpenOperation are the card's lane
	// (Issue card, Activate card, ...): Operate split in two, so that a
	// production that takes minutes at a print station is followed on the
	// card page instead of holding the person's request open.
	StartOperation(ctx context.Context, op cardops.Operation) (runID string, err error)
	AwaitOperation(ctx context.Context, cardID, runID string) (lane.Status, error)
	OpenOperation(ctx context.Context, cardID string) (*lane.Status, error)
	// StartOrder and UpdateOrder are Batch orders: the Order workflow
	// started (Request or Issue multiple cards), then Repeat production
	// or Complete order sent to it.
	StartOrder(ctx context.Context, in order.Input, summary string) (client.WorkflowRun, error)
	UpdateOrder(ctx context.Context, orderID, name string, arg, result any) error
}

// Server holds the console's dependencies; Handler serves it.
type Server struct {
	Store    *store.Store
	Policy   *policy.Policy
	Cards    CardOps
	Sessions *scs.SessionManager
	// Auth signs people in; nil serves no /auth/ routes (handler tests sign
	// people in through the session directly).
	Auth *Auth
	Log  *zap.Logger
	// ActionTimeout bounds a request or a decision: how long a person waits
	// before being told the workflow did not answer.
	ActionTimeout time.Duration
	// OperationWait is how long an operation's form waits for its end
	// before showing the card page, which then follows the operation
	// until it ends; a refusal (a check at the operation's first step)
	// comes well within it and is shown inline.
	OperationWait time.Duration
	// StationOutputRoot is the folder holding every print station's
	// output, <root>/<station>/<card id>/front.png (CARDS_STATION_OUTPUT_ROOT).
	StationOutputRoot string
	// Now is the console's clock ("expires in 12 days", the Cards page's
	// Expiring within); nil is time.Now. Tests set a fixed moment.
	Now func() time.Time

	mapper *policy.Mapper
	pages  *pages
}

// NewServer checks the templates and returns a server.
func NewServer(s Server) (*Server, error) {
	p, err := loadPages()
	if err != nil {
		return nil, err
	}
	s.pages = p
	s.mapper = &policy.Mapper{}
	if s.Log == nil {
		s.Log = zap.NewNop()
	}
	if s.ActionTimeout == 0 {
		s.ActionTimeout = 30 * time.Second
	}
	if s.OperationWait == 0 {
		s.OperationWait = DefaultOperationWait
	}
	if s.StationOutputRoot == "" {
		s.StationOutputRoot = DefaultStationOutputRoot
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	return &s, nil
}

// Handler returns the console's routes behind its security middleware:
// security headers on every answer, cross-origin form posts refused, the
// session loaded, every form read within the body limit, and every page
// but sign-in behind a signed-in user.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", staticHandler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	if s.Auth != nil {
		mux.HandleFunc("GET /auth/login", s.login)
		mux.HandleFunc("GET /auth/callback", s.callback)
	}
	mux.HandleFunc("POST /auth/logout", s.logout)
	mux.HandleFunc("GET /signed-out", s.signedOut)

	app := http.NewServeMux()
	app.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/inbox", http.StatusSeeOther) })
	app.HandleFunc("GET /inbox", s.inbox)
	app.HandleFunc("GET /cards", s.cardList)
	app.HandleFunc("GET /cards/{id}", s.cardPage)
	app.HandleFunc("GET /cards/{id}/live", s.cardLive)
	app.HandleFunc("POST /cards/{id}/approve", s.decide(cards.Approve))
	app.HandleFunc("POST /cards/{id}/reject", s.decide(cards.Reject))
	app.HandleFunc("POST /cards/{id}/cancel", s.decide(cards.Cancel))
	app.HandleFunc("POST /cards/{id}/postpone", s.decide("postpone"))
	for _, op := range operations {
		app.HandleFunc("POST /cards/{id}/"+op.Name, s.operate(op))
	}
	app.HandleFunc("GET /cards/{id}/front.png", s.cardImage(sideFront))
	app.HandleFunc("GET /cards/{id}/back.png", s.cardImage(sideBack))
	app.HandleFunc("GET /request", s.requestPage)
	app.HandleFunc("GET /request/preview", s.requestPreview)
	app.HandleFunc("POST /request", s.requestSubmit)
	app.HandleFunc("GET /orders", s.orderList)
	app.HandleFunc("GET /orders/request", s.orderRequestForm)
	app.HandleFunc("POST /orders/request", s.orderRequestSubmit)
	app.HandleFunc("POST /orders/issue", s.orderIssueSubmit)
	app.HandleFunc("GET /orders/{id}", s.orderPage)
	app.HandleFunc("GET /orders/{id}/live", s.orderLive)
	app.HandleFunc("POST /orders/{id}/repeat", s.orderRepeat)
	app.HandleFunc("POST /orders/{id}/complete", s.orderComplete)
	mux.Handle("/", s.requireUser(app))

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(s.crossOriginRefused))
	return securityHeaders(cop.Handler(s.Sessions.LoadAndSave(s.boundedForms(mux))))
}

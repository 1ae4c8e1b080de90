package console

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/alexedwards/scs/v2"
	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/logging"
	"github.com/cardflow/cardflow/internal/policy"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/temporalconn"
	"github.com/cardflow/cardflow/schema"
)

// Config is everything the console needs to run; the console command fills
// it from flags and the environment.
type Config struct {
	Listen      string
	URL         string
	Auth        AuthConfig
	DatabaseURL string
	TaskQueue   string
	PolicyPath  string
	Temporal    temporalconn.Settings
	// StationOutputRoot is where the print stations write, one folder per
	// station id (CARDS_STATION_OUTPUT_ROOT): the card page shows the
	// card's front and back from there once produced.
	StationOutputRoot string
	// Log is the console's logger (zap, as the worker's and the starter's);
	// nil logs nothing.
	Log *zap.Logger
	// OnReady is called once the console listens, with its address.
	OnReady func(addr string)
}

// Check refuses a configuration that cannot work, naming the setting.
func (c *Config) Check() error {
	var problems []string
	u, err := url.Parse(c.URL)
	switch {
	case err != nil:
		problems = append(problems, fmt.Sprintf("CARDS_CONSOLE_URL %q is not a URL: %v", c.URL, err))
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		problems = append(problems, fmt.Sprintf("CARDS_CONSOLE_URL %q must be an http:// or https:// URL with a host, such as http://127.0.0.1:8080", c.URL))
	case u.Path != "" && u.Path != "/":
		problems = append(problems, fmt.Sprintf("CARDS_CONSOLE_URL %q has a path; the console serves at the root of its host", c.URL))
	}
	if c.Auth.Issuer == "" {
		problems = append(problems, "CARDS_OIDC_ISSUER is not set: the console signs people in with OpenID Connect (a local Dex from `make up`: http://127.0.0.1:5556/dex)")
	}
	if c.Auth.ClientID == "" {
		problems = append(problems, "CARDS_OIDC_CLIENT_ID is not set: the client id registered for the console at the identity provider")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	c.URL = strings.TrimSuffix(c.URL, "/")
	c.Auth.RedirectURL = c.URL + "/auth/callback"
	return nil
}

// Run serves the console until ctx ends, then stops accepting requests and
// lets those in flight finish.
func Run(ctx context.Context, c Config) error {
	if err := c.Check(); err != nil {
		return err
	}
	log := c.Log
	if log == nil {
		log = zap.NewNop()
	}
	if c.Temporal.Logger == nil {
		// The SDK's lines go through the same logger as the console's own.
		c.Temporal.Logger = logging.NewTemporalLogger(log)
	}
	pol, err := policy.Load(c.PolicyPath)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, c.DatabaseURL, store.PoolOptions{MaxOpen: 10})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := schema.CheckCurrent(ctx, st.DB.DB); err != nil {
		return err
	}
	opts, err := temporalconn.Options(c.Temporal)
	if err != nil {
		return err
	}
	tc, err := temporalconn.Dial(ctx, opts, 10*time.Second)
	if err != nil {
		return err
	}
	defer tc.Close()
	auth, err := NewAuth(ctx, c.Auth)
	if err != nil {
		return err
	}
	srv, err := NewServer(Server{
		Store:  st,
		Policy: pol,
		// Address and namespace let an action that meets a Temporal restart
		// wait it out and, failing that, name what is unreachable.
		Cards:             &cardops.Client{Temporal: tc, TaskQueue: c.TaskQueue, Address: opts.HostPort, Namespace: opts.Namespace},
		Sessions:          NewSessions(postgresstore.NewWithCleanupInterval(st.DB.DB, 10*time.Minute), strings.HasPrefix(c.URL, "https://")),
		Auth:              auth,
		Log:               log,
		StationOutputRoot: c.StationOutputRoot,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("console cannot listen on %s: %w (set CARDS_CONSOLE_LISTEN to a free address)", c.Listen, err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	log.Info("Console listening", zap.String("address", ln.Addr().String()), zap.String("url", c.URL), zap.String("issuer", c.Auth.Issuer))
	if c.OnReady != nil {
		c.OnReady(ln.Addr().String())
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return hs.Shutdown(shutdownCtx)
}

// NewSessions returns the session manager: cookies HttpOnly and SameSite=Lax
// (the identity provider's redirect back is a top-level GET, which Lax lets
// through), Secure when the console is served over https; a session lasts a
// working day and ends after an hour without use.
func NewSessions(store scs.Store, secure bool) *scs.SessionManager {
	sm := scs.New()
	sm.Store = store
	sm.Lifetime = 12 * time.Hour
	sm.IdleTimeout = time.Hour
	sm.Cookie.Name = "cardflow_console"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = secure
	sm.Cookie.Path = "/"
	return sm
}

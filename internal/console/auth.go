package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"go.uber.org/zap"
	"golang.org/x/oauth2"

	"github.com/cardflow/cardflow/internal/store"
)

// AuthConfig is how the console signs people in with OpenID Connect.
type AuthConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is <console URL>/auth/callback, registered with the provider.
	RedirectURL string
	// UserClaim names the ID token claim matched against users.email.
	UserClaim string
}

// Auth signs people in with the authorization code flow, PKCE (S256), a
// nonce and a state, all kept in the session between the two legs.
type Auth struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	claim    string
}

// NewAuth discovers the issuer; an unreachable or wrong issuer stops the
// console at start with a message that names it.
func NewAuth(ctx context.Context, c AuthConfig) (*Auth, error) {
	provider, err := oidc.NewProvider(ctx, c.Issuer)
	if err != nil {
		return nil, fmt.Errorf("cannot use the OpenID Connect issuer %s: %w (check CARDS_OIDC_ISSUER and that the identity provider is running; `make up` starts a local Dex at http://127.0.0.1:5556/dex)", c.Issuer, err)
	}
	claim := c.UserClaim
	if claim == "" {
		claim = "email"
	}
	return &Auth{
		oauth: oauth2.Config{
			ClientID:     c.ClientID,
			ClientSecret: c.ClientSecret,
			Endpoint:     provider.Endpoint(),
			RedirectURL:  c.RedirectURL,
			Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
		},
		verifier: provider.Verifier(&oidc.Config{ClientID: c.ClientID}),
		claim:    claim,
	}, nil
}

// Session keys of a sign-in in progress.
const (
	sessionState    = "oidc_state"
	sessionNonce    = "oidc_nonce"
	sessionVerifier = "oidc_verifier"
	sessionNext     = "oidc_next"
)

// login starts a sign-in: fresh state, nonce and PKCE verifier in the
// session, then the identity provider.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	state, nonce, verifier := oauth2.GenerateVerifier(), oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
	s.Sessions.Put(ctx, sessionState, state)
	s.Sessions.Put(ctx, sessionNonce, nonce)
	s.Sessions.Put(ctx, sessionVerifier, verifier)
	s.Sessions.Put(ctx, sessionNext, localPath(r.URL.Query().Get("next")))
	http.Redirect(w, r, s.Auth.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

// callback finishes a sign-in: the state must match, the code is exchanged
// with the PKCE verifier, the ID token verified and its nonce checked, and
// the configured claim looked up in the directory.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	state := s.Sessions.PopString(ctx, sessionState)
	nonce := s.Sessions.PopString(ctx, sessionNonce)
	verifier := s.Sessions.PopString(ctx, sessionVerifier)
	next := s.Sessions.PopString(ctx, sessionNext)
	if e := q.Get("error"); e != "" {
		s.signInFailed(w, r, "The identity provider did not sign you in: "+strings.TrimSpace(e+" "+q.Get("error_description")), nil)
		return
	}
	if state == "" || q.Get("state") != state {
		s.signInFailed(w, r, "This sign-in was not started here, was started in another tab, or took too long.", nil)
		return
	}
	token, err := s.Auth.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		s.signInFailed(w, r, "The identity provider did not accept the sign-in code.", err)
		return
	}
	raw, ok := token.Extra("id_token").(string)
	if !ok {
		s.signInFailed(w, r, "The identity provider sent no ID token (is the openid scope allowed for this client?).", nil)
		return
	}
	idToken, err := s.Auth.verifier.Verify(ctx, raw)
	if err != nil {
		s.signInFailed(w, r, "The ID token did not verify.", err)
		return
	}
	if idToken.Nonce != nonce {
		s.signInFailed(w, r, "The ID token was not issued for this sign-in (nonce mismatch).", nil)
		return
	}
	identity, err := s.Auth.identity(idToken)
	if err != nil {
		s.signInFailed(w, r, err.Error(), nil)
		return
	}
	u, err := s.Store.UserByEmail(ctx, identity)
	if errors.Is(err, store.ErrAmbiguous) {
		s.sharedAddress(w, r, identity)
		return
	}
	if err != nil && !errors.Is(err, store.ErrNoRows) {
		s.failure(w, r, http.StatusServiceUnavailable, "The user directory (PostgreSQL) did not answer", err)
		return
	}
	if err := s.SignIn(ctx, u.ID, identity); err != nil {
		s.failure(w, r, http.StatusServiceUnavailable, "The session store (PostgreSQL) did not answer", err)
		return
	}
	s.Log.Info("Signed in", zap.String("identity", identity), zap.String("user", u.ID))
	if next == "" {
		next = "/inbox"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// identity reads the configured claim; an e-mail address the provider has
// not verified does not identify anybody.
func (a *Auth) identity(idToken *oidc.IDToken) (string, error) {
	var claims map[string]any
	if err := idToken.Claims(&claims); err != nil {
		return "", fmt.Errorf("the ID token's claims could not be read: %v", err)
	}
	value, _ := claims[a.claim].(string)
	if strings.TrimSpace(value) == "" {
		return "", fmt.Errorf("the ID token has no %q claim, which the console matches against the directory's e-mail addresses (CARDS_OIDC_USER_CLAIM)", a.claim)
	}
	if a.claim == "email" {
		if verified, present := claims["email_verified"].(bool); present && !verified {
			return "", fmt.Errorf("the identity provider has not verified the e-mail address %s", value)
		}
	}
	return value, nil
}

// SignIn makes the session of ctx (loaded by the session middleware) that of
// directory user userID ("" for someone the directory does not know), whom
// the identity provider vouched for as identity. The callback calls it once
// the ID token is verified; tests call it to act as someone.
func (s *Server) SignIn(ctx context.Context, userID, identity string) error {
	// A new session token on privilege change: a token planted before
	// sign-in is worth nothing after it.
	if err := s.Sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.Sessions.Put(ctx, sessionIdentity, identity)
	s.Sessions.Put(ctx, sessionUserID, userID) // "" when unknown: requireUser says so
	return nil
}

func (s *Server) signInFailed(w http.ResponseWriter, r *http.Request, msg string, err error) {
	page := messagePage{Title: "Sign-in failed", Message: msg + " Nothing was changed; sign in again.", Link: "/auth/login", LinkText: "Sign in again"}
	if err != nil {
		page.Detail = err.Error()
		s.Log.Warn("Sign-in failed", zap.String("reason", msg), zap.Error(err))
	}
	s.render(w, r, http.StatusBadRequest, "message", page)
}

// logout ends the console session (a POST: signing out is a state change).
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.Sessions.Destroy(r.Context()); err != nil {
		s.failure(w, r, http.StatusServiceUnavailable, "The session store (PostgreSQL) did not answer", err)
		return
	}
	http.Redirect(w, r, "/signed-out", http.StatusSeeOther)
}

func (s *Server) signedOut(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "message", messagePage{
		Title:   "Signed out",
		Message: "You are signed out of the card console. Your identity provider may still remember you; close the browser to end that too.",
		Link:    "/auth/login", LinkText: "Sign in again",
	})
}

// localPath keeps a "next" target on this site: a path, not another host.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, `/\`) || strings.HasPrefix(p, "/auth/") {
		return "/inbox"
	}
	return p
}

// sharedAddress is the page for an address that several directory users
// hold: the console cannot tell which of them signed in, and retrying will
// not change that, so it says whom to ask instead of "try again".
func (s *Server) sharedAddress(w http.ResponseWriter, r *http.Request, identity string) {
	s.Log.Warn("Sign-in refused: address held by several directory users", zap.String("identity", identity))
	s.render(w, r, http.StatusConflict, "message", messagePage{
		Title: "Your address belongs to several users",
		Message: "You signed in as " + identity + ", but more than one user of the card directory has that address, so the console cannot tell which one you are. " +
			"Signing in again will not help: ask an administrator to give each directory user their own address, then sign in again.",
	})
}

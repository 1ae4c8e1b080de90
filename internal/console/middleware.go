package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// contentSecurityPolicy allows scripts, styles and connections from the
// console itself only: no inline script anywhere (htmx is a file, its
// configuration a meta tag), no framing, and forms that post back here.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// securityHeaders sets the headers every answer carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			// Pages show personal data: keep them out of shared caches and
			// the back-button cache after sign-out.
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// Session keys.
const (
	sessionUserID   = "user_id"  // the signed-in directory user
	sessionIdentity = "identity" // who the identity provider said, for messages
	sessionFlash    = "flash"    // one message for the next page
)

type userKey struct{}

// currentUser is the signed-in, active directory user of the request.
func currentUser(r *http.Request) cards.User {
	u, _ := r.Context().Value(userKey{}).(cards.User)
	return u
}

// requireUser lets through only a signed-in, active directory user, read
// fresh from the directory on every request so that a role removed or a user
// deactivated counts at once. Signed-out visitors are sent to sign in;
// someone the directory does not know (or no longer lists as active) sees a
// page that says so and nothing else.
func (s *Server) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := s.Sessions.GetString(r.Context(), sessionUserID)
		identity := s.Sessions.GetString(r.Context(), sessionIdentity)
		if id == "" && identity == "" {
			s.sendToSignIn(w, r)
			return
		}
		var u cards.User
		var err error
		if id != "" {
			u, err = s.Store.User(r.Context(), id)
		}
		switch {
		case err != nil && !errors.Is(err, store.ErrNoRows):
			s.failure(w, r, http.StatusServiceUnavailable, "The user directory (PostgreSQL) did not answer", err)
			return
		case id == "" || errors.Is(err, store.ErrNoRows) || !u.Active():
			s.notADirectoryUser(w, r, identity, u)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, u)))
	})
}

// sendToSignIn redirects a page view to sign-in and back; a form post or an
// htmx request cannot usefully be redirected to the identity provider, so it
// gets a 401 page with a sign-in link instead.
func (s *Server) sendToSignIn(w http.ResponseWriter, r *http.Request) {
	login := "/auth/login?next=" + url.QueryEscape(r.URL.RequestURI())
	if r.Method == http.MethodGet && r.Header.Get("HX-Request") == "" {
		http.Redirect(w, r, login, http.StatusSeeOther)
		return
	}
	if r.Header.Get("HX-Request") != "" {
		w.Header().Set("HX-Redirect", login)
	}
	s.render(w, r, http.StatusUnauthorized, "message", messagePage{
		Title:   "Please sign in",
		Message: "You are signed out (or your session ended). Sign in, then try again.",
		Link:    login, LinkText: "Sign in",
	})
}

// notADirectoryUser is all that someone signed in but unknown to the
// directory (or not active in it) can see.
func (s *Server) notADirectoryUser(w http.ResponseWriter, r *http.Request, identity string, u cards.User) {
	msg := "You signed in as " + identity + ", but no active user of the card directory has that address, so there is nothing you can do here. " +
		"If you should have access, ask an administrator to add you to the directory (or to activate your user), then sign in again."
	if u.ID != "" && !u.Active() {
		msg = "You signed in as " + identity + ", which is directory user " + u.ID + ", but that user is " + u.State + ". " +
			"Only active users can use the console; ask an administrator to activate your user, then sign in again."
	}
	s.render(w, r, http.StatusForbidden, "message", messagePage{Title: "Not a directory user", Message: msg, SignOut: true})
}

// crossOriginRefused answers a form post that came from another site (or
// another origin): it might be a forged request, so nothing was done.
func (s *Server) crossOriginRefused(w http.ResponseWriter, r *http.Request) {
	s.Log.Warn("Cross-origin request refused", zap.String("method", r.Method), zap.String("path", r.URL.Path),
		zap.String("origin", r.Header.Get("Origin")), zap.String("sec-fetch-site", r.Header.Get("Sec-Fetch-Site")))
	s.render(w, r, http.StatusForbidden, "message", messagePage{
		Title:   "Refused: cross-origin request",
		Message: "This form was sent from another site or origin, so the console refused it and changed nothing. Open the console itself and act from its pages.",
		Link:    "/inbox", LinkText: "Go to the Inbox",
	})
}

// flash keeps one message for the next page the user sees (after a redirect).
func (s *Server) flash(r *http.Request, msg string) {
	s.Sessions.Put(r.Context(), sessionFlash, msg)
}

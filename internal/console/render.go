package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/cards"
)

// Templates and static assets live in two folders embedded in the binary,
// so the console is one file to deploy.
//
//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// HTMXVersion is the htmx release embedded in static/ (npm htmx.org,
// dist/htmx.min.js, unchanged); the file name carries it so that browsers
// never mix versions from their cache.
const HTMXVersion = "2.0.11"

// pages holds one template set per page: the layout, the shared partials
// and the page's own "content".
type pages struct {
	sets map[string]*template.Template
}

// pageFiles are the pages; each is templates/<name>.html.
var pageFiles = []string{"inbox", "card", "request", "cards", "message", "orders", "order", "order-request"}

// pageParts are the files a page has besides templates/<name>.html.
var pageParts = map[string][]string{"card": {"templates/card-lifecycle.html"}}

func loadPages() (*pages, error) {
	p := &pages{sets: map[string]*template.Template{}}
	for _, name := range pageFiles {
		files := append([]string{"templates/layout.html", "templates/partials.html", "templates/" + name + ".html"}, pageParts[name]...)
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, files...)
		if err != nil {
			return nil, fmt.Errorf("console templates: %w", err)
		}
		p.sets[name] = t
	}
	return p, nil
}

// view is what every page template gets: the signed-in user (zero when
// nobody is), the navigation, a one-time message, and the page's own data.
type view struct {
	Title      string
	User       cards.User
	CanRequest bool
	// CanOrder shows the Batch orders link (operators).
	CanOrder bool
	Active   string
	Flash    string
	Page     any
}

// titled pages say their own title.
type titled interface{ pageTitle() string }

// render writes page name with data inside the layout, with status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	v := view{Active: name, Page: data, User: currentUser(r)}
	if t, ok := data.(titled); ok {
		v.Title = t.pageTitle()
	}
	if v.User.ID != "" {
		v.CanRequest = mayRequest(s.Policy, v.User)
		v.CanOrder = mayOrder(s.Policy, v.User)
		v.Flash = s.Sessions.PopString(r.Context(), sessionFlash)
	}
	s.write(w, status, name, "layout", v)
}

// fragment writes one named template of page name without the layout: the
// part of a page that htmx swaps.
func (s *Server) fragment(w http.ResponseWriter, status int, page, name string, data any) {
	s.write(w, status, page, name, data)
}

func (s *Server) write(w http.ResponseWriter, status int, page, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.sets[page].ExecuteTemplate(&buf, name, data); err != nil {
		s.Log.Error("Render page", zap.String("page", page), zap.String("template", name), zap.Error(err))
		http.Error(w, "The console could not render this page; the error is in its log.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// messagePage is a page with one message: sign-in problems, refusals that
// have no page of their own, errors.
type messagePage struct {
	Title    string
	Message  string
	Detail   string
	Link     string
	LinkText string
	SignOut  bool
}

func (m messagePage) pageTitle() string { return m.Title }

// failure shows an infrastructure error in plain words, with the technical
// detail underneath for whoever is on call.
func (s *Server) failure(w http.ResponseWriter, r *http.Request, status int, what string, err error) {
	s.Log.Error(what, zap.String("path", r.URL.Path), zap.Error(err))
	s.render(w, r, status, "message", messagePage{
		Title:   "Something did not answer",
		Message: what + ". Nothing was changed. Try again in a moment; if it keeps happening, tell whoever runs cardflow.",
		Detail:  err.Error(),
		Link:    r.URL.RequestURI(), LinkText: "Try again",
	})
}

func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

var funcs = template.FuncMap{
	"htmx": func() string { return "/static/htmx-" + HTMXVersion + ".min.js" },
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format("2006-01-02 15:04")
	},
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"age": func(t time.Time) string { return humanDuration(time.Since(t)) + " ago" },
	"until": func(t *time.Time) string {
		if t == nil {
			return "no expiry"
		}
		d := time.Until(*t)
		if d <= 0 {
			return "expired"
		}
		return "in " + humanDuration(d)
	},
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
	// date is a day as printed on a card (valid until), in UTC.
	"date": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format("2006-01-02")
	},
	"operationName":      operationName,
	"votedAs":            votedAs,
	"certificateMeaning": func(status string) string { return certificateMeaning[status] },
	"fullName":           func(u cards.User) string { return strings.TrimSpace(u.GivenName + " " + u.Surname) },
	"join":               strings.Join,
	"requestLink":        requestLink,
}

// humanDuration says a duration the way people do: "3 minutes", "2 days".
func humanDuration(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour")
	}
	return plural(int((d+12*time.Hour)/(24*time.Hour)), "day")
}

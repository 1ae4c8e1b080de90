package console

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path"
	"regexp"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/store"
)

// DefaultStationOutputRoot is CARDS_STATION_OUTPUT_ROOT's default: the
// stations' default output root (stationcmd.DefaultOutputRoot), so that a
// console and stations started from the same folder by `make up` agree.
const DefaultStationOutputRoot = ".run/stations"

// The two sides of a card a station renders, as file names.
const (
	sideFront = "front.png"
	sideBack  = "back.png"
)

// stationName is what a station id must look like to become a folder
// name under the output root: letters, digits, dot, dash, underscore,
// starting with a letter or digit. A station id the policy or an operator
// gave that is not (a slash, "..") is never used as a path.
var stationName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// cardImage serves the card's front or back as the print station rendered
// it, <root>/<station>/<card id>/<side>: to any signed-in directory user
// (as the card page is), from a root the path cannot leave, privately
// cached (a browser may keep it, a shared cache may not).
func (s *Server) cardImage(side string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := uuid.Parse(r.PathValue("id"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		card, err := s.Store.Card(r.Context(), id.String())
		switch {
		case errors.Is(err, store.ErrNoRows):
			http.NotFound(w, r)
			return
		case err != nil:
			s.Log.Error("Card image: the card store did not answer", zap.String("card", id.String()), zap.Error(err))
			http.Error(w, "The card store (PostgreSQL) did not answer.", http.StatusServiceUnavailable)
			return
		}
		f, info, err := s.openImage(card, side)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				s.Log.Warn("Card image not served", zap.String("card", card.ID), zap.String("station", card.Station), zap.String("side", side), zap.Error(err))
			}
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		w.Header().Set("Content-Type", "image/png")
		// The page's link carries the production generation, so a
		// repeated production is a new address.
		w.Header().Set("Cache-Control", "private, max-age=3600")
		http.ServeContent(w, r, side, info.ModTime(), f)
	}
}

// openImage opens one side of the card's rendering under the output root.
// The card id is the store's (a UUID) and the station must be a plain name;
// os.Root refuses any path (or symbolic link) that would leave the root.
func (s *Server) openImage(card store.Card, side string) (*os.File, fs.FileInfo, error) {
	if !stationName.MatchString(card.Station) {
		if card.Station == "" {
			return nil, nil, fs.ErrNotExist // never produced
		}
		return nil, nil, errors.New("the card's station " + card.Station + " is not a plain name, so it is not used as a folder")
	}
	if _, err := uuid.Parse(card.ID); err != nil {
		return nil, nil, errors.New("the card id is not a UUID")
	}
	root, err := os.OpenRoot(s.StationOutputRoot)
	if err != nil {
		return nil, nil, err
	}
	defer root.Close()
	f, err := root.Open(path.Join(card.Station, card.ID, side))
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = fs.ErrNotExist
		}
		return nil, nil, err
	}
	return f, info, nil
}

// hasImages says both sides of the card can be served.
func (s *Server) hasImages(card store.Card) bool {
	for _, side := range []string{sideFront, sideBack} {
		f, _, err := s.openImage(card, side)
		if err != nil {
			return false
		}
		f.Close()
	}
	return true
}

package pinletter

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/uuid"
)

// DirEnv names the folder PIN letters are written to: the mail room's
// printer picks them up there.
const DirEnv = "CARDS_PIN_LETTER_DIR"

// DefaultDir is the PIN letters' folder when CARDS_PIN_LETTER_DIR is not set.
const DefaultDir = ".run/pin-letters"

// Path is where the PIN letter of a card goes: dir/<card id>/pin-letter.pdf.
func Path(dir, cardID string) string {
	return filepath.Join(dir, cardID, FileName)
}

// Write renders the letter and writes it to Path(dir, l.CardID) atomically
// (a temporary file in the same folder, synced, then renamed), so that the
// mail room never picks up half a letter and a crash leaves either no
// letter or a whole one. The file and its folder are readable by the owner
// only: the letter holds a PIN. Writing it again replaces it with the same
// bytes. It returns the letter's path.
func Write(dir string, l Letter) (string, error) {
	if id, err := uuid.Parse(l.CardID); err != nil || id.String() != l.CardID {
		return "", fmt.Errorf("PIN letter: card id %q is not a lower-case UUID, so it cannot name a folder", l.CardID)
	}
	if dir == "" {
		dir = DefaultDir
	}
	pdf, err := Render(l)
	if err != nil {
		return "", err
	}
	folder := filepath.Join(dir, l.CardID)
	if err := os.MkdirAll(folder, 0o700); err != nil {
		return "", fmt.Errorf("PIN letter of card %s: %w (check %s)", l.CardID, err, DirEnv)
	}
	path := Path(dir, l.CardID)
	if err := writeAtomic(folder, path, pdf); err != nil {
		return "", fmt.Errorf("PIN letter of card %s: %w (check %s)", l.CardID, err, DirEnv)
	}
	return path, nil
}

// writeAtomic writes data to path through a temporary file in folder.
func writeAtomic(folder, path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(folder, "."+FileName+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// The rename is durable once the folder is synced.
	d, err := os.Open(folder)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

package notify

import (
	"sync"

	"github.com/cardflow/cardflow/internal/store"
)

// claims remembers the claim tokens of recipients' rows that may be
// claimed without anything sent: a claim whose answer was lost to an error
// (it may have committed), or a send known not to have reached the
// recipient whose outcome could not be recorded. The next attempt for the
// same e-mail in this process claims with the remembered token and so
// takes the row back; without it the row would say "sending" for ever and
// the e-mail would never go out. A token is never remembered after a send
// that may have delivered the message, so this never sends a second copy.
type claims struct {
	mu     sync.Mutex
	tokens map[store.NotificationKey]string
}

// token is the remembered token of key, or a fresh one.
func (c *claims) token(key store.NotificationKey) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.tokens[key]; ok {
		return t
	}
	return store.NewClaim()
}

func (c *claims) keep(key store.NotificationKey, token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tokens == nil {
		c.tokens = map[store.NotificationKey]string{}
	}
	c.tokens[key] = token
}

func (c *claims) drop(key store.NotificationKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.tokens, key)
}

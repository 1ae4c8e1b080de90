// Package cardstate holds the operations that change an issued card's
// state after Activate card, each on the card's lane (card-<card id>):
// DeactivateCard (active → inactive, certificates on hold), ReactivateCard
// (inactive → active, certificates released) and LockCard (active or
// inactive → locked for good, certificates revoked). They share one shape:
// check (nothing written when refused), the optional approval of the shared
// approval process, the CA's step, then the card's transition, which is
// never shown before the CA has done its part.
package cardstate

package cfssl

import (
	"context"
	"errors"
	"fmt"

	"github.com/cardflow/cardflow/internal/ca"
)

// reasonNames are the permanent reasons the port knows, as CFSSL's revoke
// API names them. certificateHold is Hold's; removeFromCRL is never sent
// (CFSSL would store it as a revocation).
var reasonNames = map[ca.Reason]string{
	ca.CessationOfOperation: "cessationOfOperation",
	ca.KeyCompromise:        "keyCompromise",
	ca.Superseded:           "superseded",
}

// Hold puts the certificate on hold (revoked, reason certificateHold).
// A repeat succeeds; a certificate revoked for good is a
// *ca.PermanentError (the store's trigger refuses); an unknown serial is
// ca.ErrNotFound.
func (a *Authority) Hold(ctx context.Context, serial string) error {
	if err := a.revoke(ctx, serial, "certificateHold"); err != nil {
		return err
	}
	return a.refreshOCSP(ctx, serial)
}

// Revoke revokes the certificate for good. A repeat succeeds, and so does
// a revocation of one already revoked for good with another reason (it
// stays revoked with its first reason: a permanent revocation is final).
func (a *Authority) Revoke(ctx context.Context, serial string, reason ca.Reason) error {
	name, ok := reasonNames[reason]
	if !ok {
		return &ca.PermanentError{Err: fmt.Errorf("revocation reason %q is not a permanent one", reason)}
	}
	err := a.revoke(ctx, serial, name)
	var perm *ca.PermanentError
	if errors.As(err, &perm) {
		if rec, rerr := a.record(ctx, serial); rerr == nil && rec.status == "revoked" && rec.reason != reasonHold {
			return nil
		}
	}
	if err != nil {
		return err
	}
	return a.refreshOCSP(ctx, serial)
}

// Release takes a held certificate off hold. One already good succeeds;
// one revoked for good is a *ca.PermanentError; an unknown serial is
// ca.ErrNotFound.
func (a *Authority) Release(ctx context.Context, serial string) error {
	changed, err := a.release(ctx, serial)
	if err != nil {
		return err
	}
	if !changed {
		rec, err := a.record(ctx, serial)
		if err != nil {
			return err
		}
		if rec.status != "good" {
			return &ca.PermanentError{Err: fmt.Errorf("certificate %s is revoked for good (reason %d): it cannot be released", serial, rec.reason)}
		}
	}
	return a.refreshOCSP(ctx, serial)
}

func (a *Authority) revoke(ctx context.Context, serial, reason string) error {
	return a.call(ctx, "revoke", map[string]string{"serial": serial, "authority_key_id": a.aki, "reason": reason}, nil)
}

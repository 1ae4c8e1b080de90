package startercmd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/internal/store"
)

// UsersCmd groups the user-directory commands.
type UsersCmd struct {
	Upsert UsersUpsertCmd `cmd:"" help:"Create or replace a user of the directory."`
}

// UsersUpsertCmd creates or replaces a user.
type UsersUpsertCmd struct {
	ID        string   `name:"id" required:"" help:"User id."`
	GivenName string   `name:"given-name" required:"" help:"Given name."`
	Surname   string   `name:"surname" required:"" help:"Surname."`
	UPN       string   `name:"upn" required:"" help:"User principal name."`
	Email     string   `name:"email" help:"E-mail address."`
	State     string   `name:"state" required:"" help:"User state: active or inactive; cards can be requested only for active users."`
	Roles     []string `name:"role" sep:"none" help:"A directory role (repeat the flag for several); the given set replaces the user's roles. Policy roles: requesterRole (default operator) may request, approval.approverRole (default approver) may decide."`
}

// Run checks every field against the input limits, then writes the user;
// an e-mail address another user has is refused with the holder's name.
func (c *UsersUpsertCmd) Run(e *env) error {
	checks := []error{
		limits.Identifier("--id", c.ID), limits.Name("--given-name", c.GivenName), limits.Name("--surname", c.Surname),
		limits.Address("--upn", c.UPN), optional(limits.Address, "--email", c.Email), limits.UserState("--state", c.State),
	}
	for _, r := range c.Roles {
		checks = append(checks, limits.Identifier("--role", r))
	}
	if err := inputs(checks...); err != nil {
		return err
	}
	u := cards.User{ID: c.ID, GivenName: c.GivenName, Surname: c.Surname, UPN: c.UPN, Email: c.Email, State: c.State,
		Roles: store.NormalizeRoles(c.Roles)}
	st, err := e.store()
	if err != nil {
		return &failure{Type: "DatabaseUnreachable", Err: err}
	}
	defer st.Close()
	err = st.UpsertUserWithRoles(e.ctx, u)
	var taken *store.EmailTakenError
	if errors.As(err, &taken) {
		return &refusal{Type: cards.ErrEmailTaken, Message: taken.Error()}
	}
	if err != nil {
		return err
	}
	if e.out.json {
		e.out.writeJSON(map[string]any{"user": u})
		return nil
	}
	roles := "no roles"
	if len(u.Roles) > 0 {
		roles = "roles: " + strings.Join(u.Roles, ", ")
	}
	fmt.Fprintf(e.out.stdout, "User %s (%s %s, %s) is %s; %s.\n", u.ID, u.GivenName, u.Surname, u.UPN, u.State, roles)
	return nil
}

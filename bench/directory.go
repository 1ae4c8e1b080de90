package main

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// The people the bench acts as. The workflow checks every request and
// decision against the directory, so they are real users holding the roles
// the policy's defaults ask for: the requester holds operator, the approver
// approver. Every card pays the same checks as in production.
const (
	benchOperator = "bench-operator"
	benchApprover = "bench-approver"
)

// seedStaff writes the operator and the approver, with their roles.
func seedStaff(ctx context.Context, db *sqlx.DB) error {
	_, err := db.ExecContext(ctx, `
		WITH staff AS (
			INSERT INTO users (id, given_name, surname, upn, email, state) VALUES
				($1, 'Bench', 'Operator', $1 || '@example.com', '', 'active'),
				($2, 'Bench', 'Approver', $2 || '@example.com', '', 'active')
			RETURNING id
		)
		INSERT INTO user_roles (user_id, role)
		SELECT id, CASE id WHEN $1 THEN 'operator' ELSE 'approver' END FROM staff`, benchOperator, benchApprover)
	if err != nil {
		return fmt.Errorf("add the bench's operator and approver to the directory: %w", err)
	}
	return nil
}

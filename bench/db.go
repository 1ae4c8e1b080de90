package main

import (
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

func sqlxDB(e *env) *sqlx.DB { return sqlx.NewDb(e.db, "postgres") }

func pqArray(ids []string) any { return pq.Array(ids) }

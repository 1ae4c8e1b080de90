// Package deploy holds what runs cardflow outside a developer's machine (the
// compose stack's PostgreSQL init script) and the tests that check the
// top-level docker-compose.yml and Dockerfile wiring without a Docker engine.
package deploy

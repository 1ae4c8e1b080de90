package cliparse

import (
	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/codec"
	"github.com/cardflow/cardflow/internal/logging"
)

// The flags below are shared by the worker, the starter and the console:
// each command embeds the groups it needs, so a flag has one name, one
// environment variable, one default and one help text everywhere. Parse
// supplies the variables their defaults and help refer to.

// DefaultDatabaseURL is the contract's default, a local PostgreSQL.
const DefaultDatabaseURL = "postgres://postgres@localhost:5432/cards?sslmode=disable"

// Database is where the system of record is.
type Database struct {
	DatabaseURL string `name:"database-url" env:"DATABASE_URL" default:"${defaultDatabaseURL}" help:"PostgreSQL connection URL."`
}

// Temporal is the Temporal server and the task queue the worker polls (and
// the starter and the console send to). Credentials and TLS are not flags:
// the SDK's envconfig reads them from the environment (internal/temporalconn).
type Temporal struct {
	TemporalServer
	TaskQueue string `name:"task-queue" env:"CARDS_TASK_QUEUE" default:"cards" help:"Temporal task queue the worker polls."`
}

// TemporalServer is the Temporal server alone, for a process whose task
// queue is not the worker's (the print station's is print-station-<id>).
type TemporalServer struct {
	TemporalAddress   string `name:"temporal-address" env:"TEMPORAL_ADDRESS" help:"Temporal frontend host:port (default localhost:7233, or the TEMPORAL_PROFILE's address). TEMPORAL_API_KEY, TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH and TEMPORAL_PROFILE are read by the SDK's envconfig."`
	TemporalNamespace string `name:"temporal-namespace" env:"TEMPORAL_NAMESPACE" help:"Temporal namespace (default: default)."`
}

// Codec is the payload key file, which the worker and its clients must
// share: what one encrypts the others decrypt.
type Codec struct {
	CodecKeys string `name:"codec-keys" env:"CARDS_CODEC_KEYS" help:"Payload key file (AES-256-GCM), the same for the worker, the starter and the console: lines '<key-id> <base64 of 32 bytes>', the first not marked decrypt-only encrypts, all decrypt. Unset: ${localCodecKeys} if it exists (make up writes it), else the process refuses to start (the starter's list and users run on); 'none' sends payloads in clear."`
}

// PolicyFile is the policy file, which the worker and the console read alike.
type PolicyFile struct {
	Policy string `name:"policy" env:"CARDS_POLICY" default:"config/policy.yaml" help:"Policy file (YAML): use cases, card types, roles and mappings; the worker and the console read the same file."`
}

// Logging selects the log format and level of the one logger (zap).
type Logging struct {
	LogFormat string `name:"log-format" env:"CARDS_LOG_FORMAT" enum:"console,json" default:"console" help:"Log format: console (readable) or json (production)."`
	LogLevel  string `name:"log-level" env:"CARDS_LOG_LEVEL" enum:"debug,info,warn,error" default:"info" help:"Minimum log level."`
}

// Logger builds the logger the flags ask for, writing to stderr.
func (l Logging) Logger() (*zap.Logger, error) {
	return logging.New(l.LogFormat, l.LogLevel)
}

// sharedVars are the variables of the shared flags' defaults and help.
func sharedVars() map[string]string {
	return map[string]string{"defaultDatabaseURL": DefaultDatabaseURL, "localCodecKeys": codec.LocalKeyFile}
}

package integration

import "github.com/cardflow/cardflow/internal/mailpit"

type mailpitMessage = mailpit.Message

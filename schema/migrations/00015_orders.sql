-- +goose Up
-- Batch orders (LIFECYCLE.md "Batch orders"): Request multiple cards and
-- Issue multiple cards. An order is one Order workflow (order-<id>) over
-- these rows; the workflow writes them, the starter and the console read
-- them for progress (one query per order, never one per card).

--   kind        request (one Request card per user) or issue (one
--               production per card, each on the card's own lane)
--   state       running, waiting (an issue order with failed items, for the
--               operator to repeat or complete), completed, cancelled
--   card_type   request orders: the card type asked for ('' = default)
--   station     issue orders: the station of the last round ('' = each
--               card type's own)
--   round       0 for the first pass, then one more per Repeat production
--   total, done, failed, skipped, running
--               the items' counts, recomputed from order_items in the same
--               transaction as each batch of progress: a list of orders
--               with their progress reads these rows only
CREATE TABLE orders (
    id         uuid PRIMARY KEY,
    kind       text NOT NULL CONSTRAINT orders_kind_check CHECK (kind IN ('request', 'issue')),
    state      text NOT NULL
        CONSTRAINT orders_state_check CHECK (state IN ('running', 'waiting', 'completed', 'cancelled')),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    card_type  text NOT NULL DEFAULT '',
    station    text NOT NULL DEFAULT '',
    workflow_id text NOT NULL,
    round      integer NOT NULL DEFAULT 0,
    total      integer NOT NULL DEFAULT 0,
    done       integer NOT NULL DEFAULT 0,
    failed     integer NOT NULL DEFAULT 0,
    skipped    integer NOT NULL DEFAULT 0,
    running    integer NOT NULL DEFAULT 0
);
-- The Batch orders page and `starter order list`: newest first, optionally
-- by state.
CREATE INDEX orders_by_created ON orders (created_at DESC, id);
CREATE INDEX orders_by_state ON orders (state, created_at DESC);

--   seq       the item's place in the order (1, 2, ...), in the operator's
--             order; items are started by seq
--   user_id   request orders: the user; issue orders: the card's holder
--   card_id   request orders: the card the item requests (derived from the
--             order and the user, so a retried start finds its card);
--             issue orders: the card produced
--   state     pending (not started in this round), running, done, failed
--             (production failed: to repeat), skipped (not ready, with the
--             reason)
--   round     the round that last started the item
CREATE TABLE order_items (
    order_id   uuid NOT NULL REFERENCES orders (id),
    seq        integer NOT NULL,
    user_id    text NOT NULL DEFAULT '',
    card_id    uuid,
    state      text NOT NULL
        CONSTRAINT order_items_state_check CHECK (state IN ('pending', 'running', 'done', 'failed', 'skipped')),
    reason     text NOT NULL DEFAULT '',
    round      integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (order_id, seq)
);
-- The counts of an order (an index-only count per state) and the next
-- pending items to start, by seq.
CREATE INDEX order_items_by_state ON order_items (order_id, state, seq);
-- A card's orders (the card page: which order produced it).
CREATE INDEX order_items_by_card ON order_items (card_id) WHERE card_id IS NOT NULL;

-- +goose Down
DROP TABLE order_items;
DROP TABLE orders;

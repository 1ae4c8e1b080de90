package store

import (
	"context"
	"time"
)

// OrderDocument is the order document of the contract (`starter order
// status --json`, the console's order page): the order, its counts and
// every item.
type OrderDocument struct {
	ID        string          `json:"id"`
	Kind      string          `json:"kind"`
	State     string          `json:"state"`
	CreatedBy string          `json:"createdBy"`
	CreatedAt time.Time       `json:"createdAt"`
	UpdatedAt time.Time       `json:"updatedAt"`
	CardType  string          `json:"cardType,omitempty"`
	Station   string          `json:"station,omitempty"`
	Round     int             `json:"round"`
	Counts    OrderCounts     `json:"counts"`
	Items     []OrderItemView `json:"items"`
}

// OrderItemView is one item of the document.
type OrderItemView struct {
	Seq    int    `json:"seq"`
	UserID string `json:"userId,omitempty"`
	CardID string `json:"cardId,omitempty"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// Document is the order's document without items (a list's row).
func (o Order) Document() OrderDocument {
	return OrderDocument{ID: o.ID, Kind: o.Kind, State: o.State, CreatedBy: o.CreatedBy, CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC(),
		CardType: o.CardType, Station: o.Station, Round: o.Round, Counts: o.OrderCounts, Items: []OrderItemView{}}
}

// OrderDocument reads the order and all its items (pages of 1,000 by seq),
// or ErrNoRows.
func (s *Store) OrderDocument(ctx context.Context, id string) (OrderDocument, error) {
	o, err := s.Order(ctx, id)
	if err != nil {
		return OrderDocument{}, err
	}
	doc := o.Document()
	doc.Items = make([]OrderItemView, 0, o.Total)
	for after := 0; ; {
		page, err := s.OrderItems(ctx, id, "", after, 1000)
		if err != nil {
			return OrderDocument{}, err
		}
		for _, it := range page {
			doc.Items = append(doc.Items, OrderItemView{Seq: it.Seq, UserID: it.UserID, CardID: it.CardID, State: it.State, Reason: it.Reason})
		}
		if len(page) < 1000 {
			return doc, nil
		}
		after = page[len(page)-1].Seq
	}
}

package sqlstore

import (
	"context"
	"fmt"
)

const storeIDSQL = `SELECT id FROM store_identity WHERE one = 1`

// StoreID returns the random id the store was given when it was created.
func (s *Store) StoreID(ctx context.Context) (string, error) {
	var id string
	if err := s.db.Row(ctx, storeIDSQL).Scan(&id); err != nil {
		return "", fmt.Errorf("store id: %w", err)
	}
	return id, nil
}

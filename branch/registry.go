package branch

import (
	"context"
	"stacks/branch/domain"
)

// SetLibrary creates or updates a branch in the registry.
func (s *Service) SetLibrary(ctx context.Context, l domain.Library) error {
	if err := checkCode("library id", l.BranchID); err != nil {
		return err
	}
	if l.Name == "" {
		return domain.Invalid("A library needs a name.")
	}
	if l.HoldShelfDays <= 0 {
		l.HoldShelfDays = 7
	}
	return s.update(ctx, func(t *txn) error {
		_, err := t.emit(ctx, KindLibrarySet, fieldsOp{Key: map[string]any{"branch_id": l.BranchID}, Fields: map[string]any{
			"name": l.Name, "institution_id": l.InstitutionID, "address": l.Address, "email": l.Email, "phone": l.Phone,
			"hold_shelf_days": l.HoldShelfDays}})
		return err
	})
}

// Libraries lists the branch registry.
func (s *Service) Libraries(ctx context.Context) ([]domain.Library, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT branch_id, name, institution_id, address, email, phone, hold_shelf_days
		FROM libraries WHERE name<>'' ORDER BY branch_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.Library{}
	for rows.Next() {
		var l domain.Library
		if err := rows.Scan(&l.BranchID, &l.Name, &l.InstitutionID, &l.Address, &l.Email, &l.Phone, &l.HoldShelfDays); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Library returns one branch.
func (s *Service) Library(ctx context.Context, id string) (*domain.Library, error) {
	return getLibrary(ctx, s.hot(), id)
}

// SetCategory creates or updates a patron category.
func (s *Service) SetCategory(ctx context.Context, c domain.Category) error {
	if err := checkCode("category", c.Category); err != nil {
		return err
	}
	if c.MaxFineCents < 0 || c.EnrolmentMonths < 0 || c.MaxHolds < 0 {
		return domain.Invalid("Category limits cannot be negative.")
	}
	if c.EnrolmentMonths == 0 {
		c.EnrolmentMonths = 12
	}
	return s.update(ctx, func(t *txn) error {
		_, err := t.emit(ctx, KindCategorySet, fieldsOp{Key: map[string]any{"category": c.Category}, Fields: map[string]any{
			"description": c.Description, "max_fine_cents": c.MaxFineCents, "enrolment_months": c.EnrolmentMonths,
			"max_holds": c.MaxHolds}})
		return err
	})
}

// Categories lists patron categories.
func (s *Service) Categories(ctx context.Context) ([]domain.Category, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT category, description, max_fine_cents, enrolment_months, max_holds
		FROM categories ORDER BY category`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.Category{}
	for rows.Next() {
		var c domain.Category
		if err := rows.Scan(&c.Category, &c.Description, &c.MaxFineCents, &c.EnrolmentMonths, &c.MaxHolds); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SetItemType creates or updates an item type.
func (s *Service) SetItemType(ctx context.Context, it domain.ItemType) error {
	if err := checkCode("item type", it.ItemType); err != nil {
		return err
	}
	if it.ReplacementCents < 0 || it.ProcessingCents < 0 {
		return domain.Invalid("Charges cannot be negative.")
	}
	return s.update(ctx, func(t *txn) error {
		_, err := t.emit(ctx, KindItemTypeSet, fieldsOp{Key: map[string]any{"item_type": it.ItemType}, Fields: map[string]any{
			"description": it.Description, "replacement_cents": it.ReplacementCents, "processing_cents": it.ProcessingCents}})
		return err
	})
}

// ItemTypes lists item types.
func (s *Service) ItemTypes(ctx context.Context) ([]domain.ItemType, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT item_type, description, replacement_cents, processing_cents
		FROM item_types ORDER BY item_type`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.ItemType{}
	for rows.Next() {
		var t domain.ItemType
		if err := rows.Scan(&t.ItemType, &t.Description, &t.ReplacementCents, &t.ProcessingCents); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

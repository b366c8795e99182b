package domain

// Hold statuses, in the only order a hold may move through them.
const (
	HoldWaiting   = "waiting"
	HoldInTransit = "in_transit"
	HoldReady     = "ready"
	HoldExpired   = "expired"
	HoldCancelled = "cancelled"
	HoldFulfilled = "fulfilled"
)

var holdRank = map[string]int{HoldWaiting: 0, HoldInTransit: 1, HoldReady: 2, HoldExpired: 3, HoldCancelled: 4, HoldFulfilled: 5}

// Item statuses. base_status is what staff set; status is derived.
const (
	ItemAvailable   = "available"
	ItemCheckedOut  = "checked_out"
	ItemOnHoldShelf = "on_hold_shelf"
	ItemInTransit   = "in_transit"
	ItemLost        = "lost"
	ItemMissing     = "missing"
	ItemDamaged     = "damaged"
	ItemWithdrawn   = "withdrawn"
)

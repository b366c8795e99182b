package rfid

// Item is one item on the pad: its tags grouped by item identifier.
type Item struct {
	ItemID string
	// Parts is how many parts the item has, by its tags (the largest
	// parts-in-set any of them states).
	Parts int
	// Present are the part numbers on the pad; Tags their tags, in pad order.
	Present []int
	Tags    []OnPad
}

// Missing are the part numbers of the item not on the pad, in order.
func (it Item) Missing() []int {
	have := map[int]bool{}
	for _, n := range it.Present {
		have[n] = true
	}
	var out []int
	for n := 1; n <= it.Parts; n++ {
		if !have[n] {
			out = append(out, n)
		}
	}
	return out
}

// Complete says all parts of the item are on the pad: only then may it
// be lent (unless staff override).
func (it Item) Complete() bool { return len(it.Missing()) == 0 }

// UIDs are the item's tags' UIDs.
func (it Item) UIDs() []string {
	out := make([]string, len(it.Tags))
	for i, t := range it.Tags {
		out[i] = t.Info.UID
	}
	return out
}

// Items groups the readable tags of a pad by item, in the order each
// item's first tag was found; unreadable tags are returned apart.
func Items(pad []OnPad) (items []Item, unreadable []OnPad) {
	at := map[string]int{}
	for _, p := range pad {
		if p.Err != nil || p.Tag == nil || p.Tag.ItemID == "" {
			unreadable = append(unreadable, p)
			continue
		}
		i, ok := at[p.Tag.ItemID]
		if !ok {
			i = len(items)
			at[p.Tag.ItemID] = i
			items = append(items, Item{ItemID: p.Tag.ItemID})
		}
		it := &items[i]
		it.Parts = max(it.Parts, p.Tag.PartsInSet, 1)
		it.Present = append(it.Present, max(p.Tag.PartNumber, 1))
		it.Tags = append(it.Tags, p)
	}
	return items, unreadable
}

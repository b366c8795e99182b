package httpapi_test

import (
	"fmt"
	"testing"
	"time"

	"stacks/node/httpapi"
)

func TestLoginCache(t *testing.T) {
	now := start
	t.Run("HitAndExpiry", func(t *testing.T) {
		c := httpapi.NewLoginCache(4, 5*time.Minute)
		c.Put("admin", "admin", now)
		if !c.Has("admin", "admin", now.Add(4*time.Minute)) {
			t.Error("miss within the TTL")
		}
		if c.Has("admin", "wrong", now) || c.Has("other", "admin", now) {
			t.Error("hit for other credentials")
		}
		if c.Has("admin", "admin", now.Add(5*time.Minute)) {
			t.Error("hit after the TTL")
		}
	})
	t.Run("Bounded", func(t *testing.T) {
		c := httpapi.NewLoginCache(4, 5*time.Minute)
		for i := range 10 {
			c.Put(fmt.Sprintf("u%d", i), "pw", now.Add(time.Duration(i)*time.Second))
			if c.Len() > 4 {
				t.Fatalf("%d entries, bound 4", c.Len())
			}
		}
		at := now.Add(10 * time.Second)
		if !c.Has("u9", "pw", at) || c.Has("u0", "pw", at) {
			t.Error("eviction did not drop the oldest entries first")
		}
	})
	t.Run("Forget", func(t *testing.T) {
		c := httpapi.NewLoginCache(4, 5*time.Minute)
		c.Put("clerk", "a", now)
		c.Put("clerk", "b", now)
		c.Put("admin", "a", now)
		c.Forget("clerk")
		if c.Has("clerk", "a", now) || c.Has("clerk", "b", now) || !c.Has("admin", "a", now) {
			t.Error("forget dropped the wrong entries")
		}
	})
	t.Run("ForgetDuringVerification", func(t *testing.T) {
		// A password check that began before the account changed must not
		// be cached after it.
		c := httpapi.NewLoginCache(4, 5*time.Minute)
		_, finish := c.Begin("clerk", "old", now)
		c.Forget("clerk")
		finish(now)
		if c.Has("clerk", "old", now) {
			t.Error("a stale verification was cached")
		}
	})
}

// Package historytest is the conformance suite for history.Store
// implementations. A backend's tests call [Run] with a function that opens
// a fresh, empty store:
//
//	func TestConformance(t *testing.T) {
//		historytest.Run(t, func(t *testing.T, maxRooms, maxNames int) history.Store {
//			s, err := mystore.Open(..., maxRooms, maxNames)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// The suite checks what the [history.Store] documentation promises: ids
// per room, paging, dedupe by (name, client id), rooms and their budgets,
// name claims, concurrency (run it with -race) and Close.
package historytest

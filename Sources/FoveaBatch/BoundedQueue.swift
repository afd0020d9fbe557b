// BoundedQueue: a blocking FIFO of fixed capacity between the batch runner's
// stages, so decoded images (the big values) in flight stay bounded whatever
// the number of files: a fast reader waits for the workers instead of
// filling memory.
import Foundation

final class BoundedQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items = [Element?]()
    private var head = 0
    private var count = 0
    private var closed = false

    init(capacity: Int) {
        items = Array(repeating: nil, count: max(1, capacity))
    }

    /// Waits for room, then adds `item`. Returns false (dropping it) once the queue is closed.
    @discardableResult
    func push(_ item: Element) -> Bool {
        condition.lock(); defer { condition.unlock() }
        while count == items.count && !closed { condition.wait() }
        guard !closed else { return false }
        items[(head + count) % items.count] = item
        count += 1
        condition.broadcast()
        return true
    }

    /// Waits for an item; nil when the queue is closed and empty.
    func pop() -> Element? {
        condition.lock(); defer { condition.unlock() }
        while count == 0 && !closed { condition.wait() }
        guard count > 0 else { return nil }
        let item = items[head]
        items[head] = nil
        head = (head + 1) % items.count
        count -= 1
        condition.broadcast()
        return item
    }

    /// Takes every item present (waiting for at least one); empty when closed and drained.
    func popAll() -> [Element] { pop(upTo: Int.max) }

    /// Takes up to `limit` of the items present (waiting for at least one,
    /// never for more); empty when closed and drained.
    func pop(upTo limit: Int) -> [Element] {
        condition.lock(); defer { condition.unlock() }
        while count == 0 && !closed { condition.wait() }
        var out = [Element]()
        out.reserveCapacity(min(count, limit))
        while count > 0 && out.count < limit {
            out.append(items[head]!)
            items[head] = nil
            head = (head + 1) % items.count
            count -= 1
        }
        condition.broadcast()
        return out
    }

    /// No more pushes: poppers drain what is left, then get nil.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

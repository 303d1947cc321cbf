/// The last `capacity` elements inserted, in a ring: older ones are forgotten as new ones come.
struct RecentSet<Element: Hashable>: ~Copyable {
    let capacity: Int
    private var ring: [Element] = []
    private var next = 0
    private var members: Set<Element> = []

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    mutating func insert(_ element: Element) {
        guard members.insert(element).inserted else { return }
        if ring.count < capacity {
            ring.append(element)
        } else {
            members.remove(ring[next])
            ring[next] = element
            next = (next + 1) % capacity
        }
    }

    /// Its ring slot stays until reused, so an element inserted again may sit in the ring twice and
    /// be forgotten when the older slot is reused: a caller may only ever lose a shortcut by it.
    /// Returns whether it was a member.
    @discardableResult mutating func remove(_ element: Element) -> Bool { members.remove(element) != nil }

    func contains(_ element: Element) -> Bool { members.contains(element) }
}

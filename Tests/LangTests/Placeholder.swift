import Testing

@Test func langTestsPlaceholder() { #expect(true) }

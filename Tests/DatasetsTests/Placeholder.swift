import Testing

@Test func datasetsTestsPlaceholder() { #expect(true) }

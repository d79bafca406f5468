import Testing

@Test func plotTestsPlaceholder() { #expect(true) }

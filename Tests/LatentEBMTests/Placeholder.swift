import Testing

@Test func latentEBMTestsPlaceholder() { #expect(true) }

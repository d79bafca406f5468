import Testing

@Test func rEPLTestsPlaceholder() { #expect(true) }
